// The benches' object sets: N ConfigMaps of a 200-byte payload, 50 per file, plus their
// Namespace — one fixture for bench/daemon*.ts — and their one DaemonConfig shape.
export const cm = (ns: string, i: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(5, '0')}\n  namespace: ${ns}\ndata:\n  index: "${i}"\n  payload: "${'x'.repeat(200)}"\n`;

export function manifests(ns: string, n: number, perFile = 50): Record<string, string> {
  const files: Record<string, string> = { 'ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` };
  for (let f = 0; f * perFile < n; f++) {
    const docs: string[] = [];
    for (let i = f * perFile; i < Math.min(n, (f + 1) * perFile); i++) docs.push(cm(ns, i));
    files[`cm-${f}.yaml`] = docs.join('---\n');
  }
  return files;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
};

/** The V8 settings the README recommends for the daemon (NODE_OPTIONS). */
export const RECOMMENDED_FLAGS = '--max-semi-space-size=1 --max-old-space-size=160';

export interface BenchConfigOptions {
  /** The bench repo on the stack's git server (credentials from BENCH_GIT_USER / BENCH_GIT_PASSWORD). */
  url: string;
  /** Each sync's fields but `source` (always the one source, "repo"). */
  syncs: object[];
  /** The environment variable holding the GitHub webhook secret; no webhook without it. */
  hookEnv?: string;
  listen?: string;
}

/** A DaemonConfig of one source ("repo") and the given syncs: the benches differ only there. */
export function benchConfig(o: BenchConfigOptions): object {
  return {
    apiVersion: 'gitops-seal.io/v1alpha1',
    kind: 'DaemonConfig',
    spec: {
      ...(o.listen ? { listen: o.listen } : {}),
      sources: [
        {
          name: 'repo',
          url: o.url,
          ref: { branch: 'main' },
          interval: '1h',
          credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
          ...(o.hookEnv ? { webhook: { type: 'github', secretFrom: { env: o.hookEnv } } } : {}),
        },
      ],
      syncs: o.syncs.map((s) => ({ ...s, source: 'repo' })),
    },
  };
}
