// Issue 18: commit → applied, per phase, at every scale. Run through bench/daemon.ts:
//   BENCH_ONLY=commit [BENCH_SIZES=1000,5000] [BENCH_COMMITS=5] npx tsx bench/daemon.ts
//     one sync of N ConfigMaps (50 per file); K one-file commits, each pushed and announced by a
//     signed webhook; webhook → applied per commit, the daemon's own phase breakdown
//     (`sync.timed`, also /status lastReconcile) and its requests to the apiserver.
//   BENCH_ONLY=fleet [BENCH_SYNCS=50] [BENCH_OBJECTS=5000] [BENCH_COMMITS=50] npx tsx bench/daemon.ts
//     S syncs of one source, a burst of C commits each touching one sync (no wait between them):
//     missed commits, webhook → applied p50/p99 for the touched sync, requests per commit.
// The daemon runs in this process (the Daemon class, as test/support/daemon-process.ts starts
// it): its requests are counted at its client (every KubeClient.requestRaw), which is exactly
// what the apiserver receives from it — the shared apiserver's own counters also see other
// sessions' tests. With GITOPS_SEAL_STACK_INFO (or /tmp/stack-info.json present) the shared
// stack is used, otherwise a private kube-apiserver and git server are started.
// Works on trees without phase timings too (before/after): latency and requests only.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { benchConfig } from './daemon-fixtures.js';
import { parseConfig } from '../daemon/config/index.js';
import { Daemon } from '../daemon/daemon.js';
import type { DaemonEvent } from '../daemon/events/index.js';
import { KubeClient, type RawResponse, type RequestOptions } from '../daemon/kube/client.js';
import { createLogger } from '../daemon/log.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import { kubeBins, startKube } from '../test/stack/kube.js';
import type { StackInfo } from '../test/stack/types.js';

const run = promisify(execFile);
const RUN = Date.now().toString(36);
const PER_FILE = 50;
const HOOK = 'bench-commit-hook';

const cm = (ns: string, i: number, rev: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(5, '0')}\n  namespace: ${ns}\ndata:\n  index: "${i}"\n  rev: "${rev}"\n  payload: "${'x'.repeat(200)}"\n`;

export function files(dir: string, ns: string, n: number, revOf: (i: number) => number = () => 0): Record<string, string> {
  const out: Record<string, string> = { [`${dir}/ns.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` };
  for (let f = 0; f * PER_FILE < n; f++) {
    const docs: string[] = [];
    for (let i = f * PER_FILE; i < Math.min(n, (f + 1) * PER_FILE); i++) docs.push(cm(ns, i, revOf(i)));
    out[`${dir}/cm-${f}.yaml`] = docs.join('---\n');
  }
  return out;
}

// ---- the daemon's requests, counted at its client ----
let counting = false;
const counts = new Map<string, number>();
function countRequests(): void {
  const orig = KubeClient.prototype.requestRaw;
  KubeClient.prototype.requestRaw = function (this: KubeClient, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    inflight++;
    if (counting) {
      const k = `${opts.method ?? 'GET'}${opts.query?.dryRun !== undefined ? ' dry-run' : ''} ${requestKind(path, opts)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return orig.call(this, path, opts).finally(() => inflight--);
  };
}
let inflight = 0;
/** Waits until the daemon has sent no request for `quietMs` (the drift detector's first full check). */
async function settle(quietMs = 1000, maxMs = 300_000): Promise<void> {
  const t0 = performance.now();
  let quietSince = performance.now();
  while (performance.now() - t0 < maxMs) {
    if (inflight > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= quietMs) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** What a request reads or writes: the inventory, one object, a collection (a LIST page; `watch`), discovery, an Event. */
function requestKind(path: string, opts: RequestOptions): string {
  if (/\/configmaps\/gitops-seal-inventory/.test(path)) return 'inventory';
  if (/^\/apis?(\/[^/]+){0,2}$/.test(path)) return 'discovery';
  if (/\/events(\/|$)/.test(path)) return 'event';
  if (/\/namespaces\/[^/]+\/[^/]+\/[^/]+$|^\/api\/v1\/namespaces\/[^/]+$/.test(path)) return 'object';
  if (opts.query?.watch !== undefined) return 'watch';
  return opts.query?.continue ? 'collection (next page)' : 'collection';
}
const total = (): number => [...counts.values()].reduce((a, b) => a + b, 0);
const writes = (): number => [...counts].filter(([k]) => !k.startsWith('GET')).reduce((a, [, v]) => a + v, 0);

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
export const med = (xs: number[]): number => pct(xs, 50);
const ms = (x: number): string => Math.round(x).toLocaleString('en');
export const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export interface Stack {
  kube: StackInfo['kube'];
  git: StackInfo['git'];
  kubectl: string;
  stop(): Promise<void>;
}

export async function stack(): Promise<Stack> {
  const file = process.env.GITOPS_SEAL_STACK_INFO ?? (existsSync('/tmp/stack-info.json') ? '/tmp/stack-info.json' : undefined);
  if (file && existsSync(file)) {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
    console.log(`[bench] shared stack (${file})`);
    return { kube: info.kube, git: info.git, kubectl: info.bins.kubectl, stop: async () => undefined };
  }
  console.log('[bench] starting a private kube-apiserver + kwok + git server…');
  const [kube, git] = await Promise.all([startKube({ nodes: 1 }), startGitServer()]);
  return {
    kube: kube.info as StackInfo['kube'],
    git: git.info as StackInfo['git'],
    kubectl: join(kubeBins().kubeStack, '..', 'kubectl'),
    stop: async () => {
      await git.stop();
      await kube.stop();
    },
  };
}

interface Bench {
  d: Daemon;
  events: DaemonEvent[];
  clone: string;
  hook(sha: string): Promise<void>;
  commit(changes: Record<string, string>, msg: string): Promise<string>;
  /** Resolves with the event when `pred` matches one published from now on. */
  next(pred: (e: DaemonEvent) => boolean, timeoutMs?: number): Promise<DaemonEvent>;
  stop(): Promise<void>;
}

async function start(s: Stack, name: string, repoFiles: Record<string, string>, syncs: { name: string; path: string }[]): Promise<Bench> {
  const url = await createRepo(s.git, name, repoFiles);
  process.env.BENCH_GIT_USER = s.git.username;
  process.env.BENCH_GIT_PASSWORD = s.git.password;
  process.env.BENCH_COMMIT_HOOK = HOOK;
  const work = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-commit-'));
  const d = new Daemon(
    parseConfig(
      stringify(
        benchConfig({ url, hookEnv: 'BENCH_COMMIT_HOOK', syncs: syncs.map((x) => ({ ...x, kubeconfig: { file: s.kube.kubeconfig } })) }),
      ),
      'bench.yaml',
    ),
    { dataDir: join(work, 'data'), log: createLogger({ level: 'warn' }), listen: '127.0.0.1:0' },
  );
  const events: DaemonEvent[] = [];
  const waiters: { pred: (e: DaemonEvent) => boolean; resolve: (e: DaemonEvent) => void }[] = [];
  d.bus.subscribe((e) => {
    events.push(e);
    for (const w of [...waiters])
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
  });
  const next = (pred: (e: DaemonEvent) => boolean, timeoutMs = 600_000): Promise<DaemonEvent> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for the daemon')), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  await d.init();
  const initial = Promise.all(syncs.map((x) => next((e) => e.type === 'sync.applied' && e.sync === x.name)));
  const t0 = performance.now();
  await d.start();
  await initial;
  console.log(
    `[bench] ${name}: initial apply of ${syncs.length} sync(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${load()})`,
  );
  const clone = join(work, 'clone');
  await run('git', ['clone', '--quiet', authedUrl(s.git, name), clone]);
  // The drift detectors' first full checks (a LIST of every object) are not part of any commit.
  await settle();
  return {
    d,
    events,
    clone,
    next,
    hook: async (sha) => {
      const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
      const sig = 'sha256=' + createHmac('sha256', HOOK).update(body).digest('hex');
      const res = await fetch(`${d.url}/hooks/repo`, { method: 'POST', body, headers: { 'x-hub-signature-256': sig } });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    },
    commit: async (changes, msg) => {
      for (const [p, t] of Object.entries(changes)) writeFileSync(join(clone, p), t);
      await run('git', ['-C', clone, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', msg]);
      await run('git', ['-C', clone, 'push', '-q', 'origin', 'HEAD:main']);
      return (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
    },
    stop: async () => {
      await d.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function cleanup(s: Stack, namespaces: string[], syncs: string[]): Promise<void> {
  const k = (args: string[]) => run(s.kubectl, [`--kubeconfig=${s.kube.kubeconfig}`, ...args]).catch(() => undefined);
  await k(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...namespaces]);
  await k(['delete', 'configmap', '-n', 'gitops-seal-system', '--ignore-not-found', ...syncs.map((x) => `gitops-seal-inventory-${x}`)]);
}

type Timed = { phases: Record<string, number>; otherMs: number; totalMs: number; result: string };

/** One sync of `size` objects, `commits` one-file commits. */
async function oneSize(s: Stack, size: number, commits: number): Promise<string[]> {
  const name = `bc${size}-${RUN}`;
  const b = await start(s, name, files('s', name, size), [{ name, path: 's' }]);
  const lat: number[] = [];
  const breakdowns: Timed[] = [];
  const reqs: number[] = [];
  const wrs: number[] = [];
  const byKind = new Map<string, number>();
  const slowest: (Timed | undefined)[] = [];
  try {
    for (let k = 0; k < commits; k++) {
      const i = (k * 37) % size;
      const file = `s/cm-${Math.floor(i / PER_FILE)}.yaml`;
      const sha = await b.commit({ [file]: files('s', name, size, (j) => (j === i ? k + 1 : 0))[file] as string }, `bench ${k}`);
      const applied = b.next((e) => e.type === 'sync.applied' && e.revision === sha);
      const timed = b
        .next((e) => e.type === ('sync.timed' as DaemonEvent['type']) && (e as { revision?: string }).revision === sha, 600_000)
        .catch(() => undefined);
      counts.clear();
      counting = true;
      const t0 = performance.now();
      await b.hook(sha);
      await applied;
      lat.push(performance.now() - t0);
      const t = (await timed) as unknown as Timed | undefined;
      reqs.push(total());
      wrs.push(writes());
      for (const [k, v] of counts) byKind.set(k, (byKind.get(k) ?? 0) + v);
      // Requests after "applied" (the drift baseline's LISTs) are not part of the commit's path.
      counting = false;
      if (t) breakdowns.push(t);
      slowest.push(t);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    counting = false;
    await b.stop();
    await cleanup(s, [name], [name]);
  }
  const target = size === 5000 ? 'p50 ≤ 250, p99 ≤ 500' : size === 20000 ? 'p50 ≤ 400' : '—';
  figures.push(
    { id: `commit${size}:p50/p99`, now: `${ms(med(lat))} / ${ms(pct(lat, 99))} ms` },
    { id: `commit${size}:requests`, now: `${med(reqs)} (writes ${med(wrs)})` },
  );
  const lines = [
    `one-file commit, ${size.toLocaleString('en')} objects, ${commits} commits: webhook → applied p50 ${med(lat).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms (min ${Math.min(...lat).toFixed(0)}) | target ${target} ms | requests/commit ${med(reqs)} (writes ${med(wrs)}) | load ${load()}`,
  ];
  lines.push(
    `  requests by kind (mean per commit): ${[...byKind]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${(v / commits).toFixed(1)}`)
      .join(', ')}`,
  );
  if (breakdowns.length > 0) {
    const phases = new Set(breakdowns.flatMap((t) => Object.keys(t.phases)));
    const parts = [...phases].map((p) => `${p} ${med(breakdowns.map((t) => t.phases[p] ?? 0)).toFixed(1)}`);
    parts.push(`other ${med(breakdowns.map((t) => t.otherMs)).toFixed(1)}`);
    lines.push(`  phases (median ms): ${parts.join(' · ')}`);
  }
  const worst = lat.indexOf(Math.max(...lat));
  lines.push(
    `  per commit, ms: ${lat.map((x) => x.toFixed(0)).join(' ')}; slowest (${worst}): ${JSON.stringify(slowest[worst]?.phases ?? {})}`,
  );
  return lines;
}

/** S syncs of one source, a burst of C commits each touching one sync. */
async function fleet(s: Stack): Promise<string[]> {
  const S = Number(process.env.BENCH_SYNCS ?? '50');
  const objects = Number(process.env.BENCH_OBJECTS ?? '5000');
  const C = Number(process.env.BENCH_COMMITS ?? '50');
  const per = Math.floor(objects / S);
  const names = Array.from({ length: S }, (_, i) => `bf${String(i).padStart(2, '0')}-${RUN}`);
  const all: Record<string, string> = {};
  for (const n of names) Object.assign(all, files(n, n, per));
  const b = await start(
    s,
    `bfleet-${RUN}`,
    all,
    names.map((n) => ({ name: n, path: n })),
  );
  const shas: string[] = [];
  const sentAt: number[] = [];
  const touched: string[] = [];
  let lines: string[];
  try {
    const from = b.events.length;
    counts.clear();
    counting = true;
    const hooks: Promise<void>[] = [];
    const t0 = performance.now();
    for (let c = 0; c < C; c++) {
      const n = names[c % S] as string;
      const i = (c * 7) % per;
      const file = `${n}/cm-${Math.floor(i / PER_FILE)}.yaml`;
      const sha = await b.commit({ [file]: files(n, n, per, (j) => (j === i ? c + 1 : 0))[file] as string }, `fleet ${c}`);
      shas.push(sha);
      touched.push(n);
      sentAt.push(performance.now());
      hooks.push(b.hook(sha));
    }
    await Promise.all(hooks);
    const last = shas.at(-1) as string;
    await Promise.all(
      names.map((n) =>
        b.d.status.sync(n)?.appliedRevision === last
          ? undefined
          : b.next((e) => e.type === 'sync.applied' && e.sync === n && e.revision === last),
      ),
    );
    const burstMs = performance.now() - t0;
    counting = false;
    // Commit c is applied for its sync when that sync first shows commit c or a later one.
    const order = new Map(shas.map((x, i) => [x, i]));
    const seen = new Map<string, { at: number; idx: number }[]>();
    let at = t0;
    for (const e of b.events.slice(from)) {
      if (e.type !== 'sync.applied') continue;
      at = Date.parse(e.at) - Date.now() + performance.now();
      const idx = order.get(e.revision);
      if (idx === undefined) continue;
      const xs = seen.get(e.sync) ?? [];
      xs.push({ at, idx });
      seen.set(e.sync, xs);
    }
    const lat: number[] = [];
    const byCommit: string[] = [];
    let missed = 0;
    for (let c = 0; c < C; c++) {
      const hit = (seen.get(touched[c] as string) ?? []).find((x) => x.idx >= c);
      if (!hit) missed++;
      else lat.push(hit.at - (sentAt[c] as number));
      byCommit.push(hit ? `${((hit.at - (sentAt[c] as number)) / 1000).toFixed(1)}${hit.idx > c ? `→${hit.idx}` : ''}` : 'missed');
    }
    // Where the slowest commit's time went: the daemon's phases for the revision that applied it.
    const timed = b.events.slice(from).filter((e) => e.type === ('sync.timed' as DaemonEvent['type'])) as unknown as (Timed & {
      sync: string;
      revision: string;
    })[];
    const worst = lat.indexOf(Math.max(...lat));
    const st = b.d.status.snapshot();
    const behind = st.syncs.filter((x) => x.appliedRevision !== last).length;
    const fetches = st.sources[0]?.fetches ?? 0;
    figures.push(
      { id: 'fleet:p50/p99', now: `${ms(med(lat))} / ${ms(pct(lat, 99))} ms` },
      { id: 'fleet:missed', now: String(missed) },
      { id: 'fleet:requests', now: `${(total() / C).toFixed(1)} (writes ${(writes() / C).toFixed(1)})` },
    );
    lines = [
      `fleet: ${S} syncs × ${per} objects, burst of ${C} one-sync commits in ${(burstMs / 1000).toFixed(1)} s: missed ${missed}, syncs not at the last commit ${behind}; webhook → applied p50 ${med(lat).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms | target p50 ≤ 1000, p99 ≤ 2000 ms, no missed commit | fetches ${fetches}`,
      `  per commit, s (→k: applied with commit k): ${byCommit.join(' ')}`,
      `  phases of the slowest (commit ${worst}): ${JSON.stringify(timed.find((t) => t.sync === touched[worst] && order.get(t.revision) !== undefined && (order.get(t.revision) as number) >= worst)?.phases ?? {})}`,
      `  daemon requests per commit ${(total() / C).toFixed(1)} (writes ${(writes() / C).toFixed(1)}; target ≤ 5 + 2 × changed objects = 7): ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')} | load ${load()}`,
    ];
  } finally {
    counting = false;
    await b.stop();
    await cleanup(s, names, names);
  }
  return lines;
}

/** A figure for bench/daemon.ts's table of targets: which row (`id`) and what was measured now. */
export interface Figure {
  id: string;
  now: string;
}
const figures: Figure[] = [];

/** Runs the commit or the fleet bench; resolves with its figures (also printed as lines). */
export async function commitBenches(which: 'commit' | 'fleet'): Promise<Figure[]> {
  countRequests();
  const s = await stack();
  const out: string[] = [];
  try {
    if (which === 'commit') {
      const sizes = (process.env.BENCH_SIZES ?? '1000,5000').split(',').map(Number);
      const commits = Number(process.env.BENCH_COMMITS ?? '5');
      for (const size of sizes) {
        const lines = await oneSize(s, size, commits);
        for (const l of lines) console.log(l);
        out.push(...lines);
      }
    } else {
      const lines = await fleet(s);
      for (const l of lines) console.log(l);
      out.push(...lines);
    }
  } finally {
    await s.stop();
  }
  console.log(`\n${out.join('\n')}`);
  return figures;
}
