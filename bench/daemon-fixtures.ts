// The benches' object sets: N ConfigMaps of a 200-byte payload, 50 per file, plus their
// Namespace — one fixture for bench/daemon.ts and bench/daemon-initial.ts.
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
