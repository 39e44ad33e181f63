// BENCH_ONLY=initial of bench/daemon.ts: the initial apply of N ConfigMaps by the daemon and by
// `kubectl apply --server-side`, repeated in alternating pairs.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseConfig } from '../daemon/config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { KubeClient, type RawResponse, type RequestOptions } from '../daemon/kube/client.js';
import { createLogger } from '../daemon/log.js';
import { createRepo, startGitServer } from '../test/stack/gitserver.js';
import { kubeBins, startKube } from '../test/stack/kube.js';
import { benchConfig, manifests, median } from './daemon-fixtures.js';

const run = promisify(execFile);
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

// ---- BENCH_ONLY=initial: the initial-apply comparison alone, repeated in alternating pairs ----
// Each pair applies 1,000 fresh ConfigMaps (new namespaces) with the daemon and with kubectl,
// back to back, alternating who goes first (the machine is shared, so load drifts). Reports
// per-pair ratios and medians, the daemon's request phases (every KubeClient request is
// timed), and CPU of the daemon process vs kube-apiserver and etcd (/proc/<pid>/stat).
const TICK_MS = 10; // USER_HZ = 100 on Linux

function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}
/** CPU of children this process has waited for (kubectl runs). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // cutime, cstime
}
function findPid(match: (argv: string[]) => boolean): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (match(argv)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('process not found');
}
function serverPids(server: string): { apiserver: number; etcd: number } {
  const port = new URL(server).port;
  const apiserver = findPid((a) => a.includes('kube-apiserver') && a.includes(`--secure-port=${port}`));
  const etcdUrl = readFileSync(`/proc/${apiserver}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.startsWith('--etcd-servers='));
  const etcdPort = new URL(etcdUrl?.slice('--etcd-servers='.length) ?? '').port;
  const etcd = findPid((a) => a[1] === 'etcd' && a.includes(etcdPort));
  return { apiserver, etcd };
}

interface Req {
  kind: string;
  start: number;
  end: number;
}
const reqLog: Req[] = [];
let inflight = 0;
function recordRequests(): void {
  const orig = KubeClient.prototype.requestRaw;
  KubeClient.prototype.requestRaw = async function (this: KubeClient, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const start = performance.now();
    inflight++;
    try {
      return await orig.call(this, path, opts);
    } finally {
      inflight--;
      const m = opts.method ?? 'GET';
      const dry = opts.query?.dryRun !== undefined ? ' dry-run' : '';
      const what = /\/configmaps\/gitops-seal-inventory/.test(path)
        ? 'inventory'
        : /^\/apis?(\/[^/]+){0,2}$/.test(path)
          ? 'discovery'
          : /\/namespaces\/[^/]+\/[^/]+\/[^/]+$|\/namespaces\/[^/]+$/.test(path)
            ? 'object'
            : 'collection';
      reqLog.push({ kind: `${m} ${what}${dry}`, start, end: performance.now() });
    }
  };
}

/** `row`: where the comparison rows go (bench/daemon.ts prints them with its own). */
export async function initialApplyPairs(row: (what: string, ours: string, baseline: string) => void): Promise<void> {
  const pairs = Number(process.env.BENCH_PAIRS ?? '5');
  const n = Number(process.env.BENCH_OBJECTS ?? '1000');
  // BENCH_AB=1: each round runs the daemon twice, over HTTP/2 and over HTTP/1.1 (GITOPS_SEAL_KUBE_HTTP2=0).
  const variants = process.env.BENCH_AB === '1' ? ['h2', 'h1'] : ['ours'];
  recordRequests();
  console.log('[bench] starting kube-apiserver + kwok + git server…');
  const [kube, git] = await Promise.all([startKube({ nodes: 1 }), startGitServer()]);
  const kubectl = join(kubeBins().kubeStack, '..', 'kubectl');
  const work = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-'));
  const pids = serverPids(kube.info.server);
  type Cpu = { wall: number; self: number; api: number; etcd: number };
  type Ours = Cpu & { phases: Map<string, { count: number; first: number; last: number }>; prefetch: number };
  const results: { ours: Map<string, Ours>; kctl: Cpu }[] = [];
  try {
    process.env.BENCH_GIT_USER = git.info.username;
    process.env.BENCH_GIT_PASSWORD = git.info.password;
    const log = createLogger({ level: 'warn' });
    const measure = async (f: () => Promise<void>, self: () => number): Promise<Cpu> => {
      const [s0, a0, e0] = [self(), procCpuMs(pids.apiserver), procCpuMs(pids.etcd)];
      const t0 = performance.now();
      await f();
      const wall = performance.now() - t0;
      return { wall, self: self() - s0, api: procCpuMs(pids.apiserver) - a0, etcd: procCpuMs(pids.etcd) - e0 };
    };
    // One repo per run holding just its objects: the daemon fetches what kubectl reads from disk.
    const ourRun = async (name: string, count: number, variant: string): Promise<Ours> => {
      const files: Record<string, string> = {};
      for (const [f, t] of Object.entries(manifests(`bench-${name}`, count))) files[`${name}/${f}`] = t;
      const url = await createRepo(git.info, `bench-${name}`, files);
      if (variant === 'h1') process.env.GITOPS_SEAL_KUBE_HTTP2 = '0';
      else delete process.env.GITOPS_SEAL_KUBE_HTTP2;
      const d = new Daemon(
        parseConfig(
          stringify(benchConfig({ url, syncs: [{ name, path: name, kubeconfig: { file: kube.info.kubeconfig } }] })),
          'bench.yaml',
        ),
        { dataDir: join(work, name), log, listen: '127.0.0.1:0' },
      );
      await d.init();
      reqLog.length = 0;
      const t0 = performance.now();
      const cpu = await measure(
        async () => {
          const errs = await d.once();
          if (errs.length) throw errs[0];
        },
        () => cpuMs(process.cpuUsage()),
      );
      const phases = new Map<string, { count: number; first: number; last: number }>();
      for (const r of reqLog.filter((x) => x.start >= t0)) {
        const ph = phases.get(r.kind) ?? { count: 0, first: Infinity, last: 0 };
        ph.count++;
        ph.first = Math.min(ph.first, r.start - t0);
        ph.last = Math.max(ph.last, r.end - t0);
        phases.set(r.kind, ph);
      }
      const prefetch = Math.min(...reqLog.filter((x) => x.start >= t0).map((r) => r.start - t0));
      await d.stop();
      // Drift tracking starts after an applied revision (a LIST of every collection) and may
      // still be running: let it end so it does not load the next measured run.
      for (let i = 0; i < 600 && inflight > 0; i++) await new Promise((r) => setTimeout(r, 50));
      return { ...cpu, phases, prefetch };
    };
    const kubectlRun = async (name: string, count: number): Promise<Cpu> => {
      const kdir = join(work, name);
      mkdirSync(kdir);
      for (const [f, t] of Object.entries(manifests(`bench-${name}`, count))) writeFileSync(join(kdir, f), t);
      await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '-f', join(kdir, 'ns.yaml')]);
      return measure(async () => {
        await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '--field-manager=bench', '-R', '-f', kdir], {
          maxBuffer: 1 << 26,
        });
      }, childrenCpuMs);
    };
    const ms = (x: number): string => `${x.toFixed(0)} ms`;
    // Round -1 is an untimed warm-up with 20 objects (module loading, TLS, kubectl's cache).
    for (let p = -1; p < pairs; p++) {
      const count = p < 0 ? 20 : n;
      const runs = ['kubectl', ...variants];
      const order = runs.map((_, i) => runs[(i + Math.max(p, 0)) % runs.length] as string); // rotate who goes first
      const ours = new Map<string, Ours>();
      let kctl: Cpu | undefined;
      for (const r of order) {
        if (r === 'kubectl') kctl = await kubectlRun(`kubectl-${p + 1}`, count);
        else ours.set(r, await ourRun(`${r}-${p + 1}`, count, r));
      }
      if (p < 0 || !kctl) continue;
      results.push({ ours, kctl });
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(
        `[bench] round ${p + 1}/${pairs} (order ${order.join(', ')}; load ${load}): kubectl ${ms(kctl.wall)} (cpu kubectl ${ms(kctl.self)}, apiserver ${ms(kctl.api)}, etcd ${ms(kctl.etcd)})`,
      );
      for (const [v, o] of ours) {
        console.log(
          `         ${v} ${ms(o.wall)} = ${(o.wall / kctl.wall).toFixed(2)}× (cpu self ${ms(o.self)}, apiserver ${ms(o.api)}, etcd ${ms(o.etcd)}); first request at ${ms(o.prefetch)}; ${[
            ...o.phases.entries(),
          ]
            .sort((a, b) => a[1].first - b[1].first)
            .map(([k, x]) => `${k} ×${x.count} [${x.first.toFixed(0)}–${x.last.toFixed(0)}]`)
            .join('; ')}`,
        );
      }
    }
  } finally {
    await git.stop();
    await kube.stop();
  }
  const med = (xs: number[]): string => median(xs).toFixed(0);
  const k = results.map((r) => r.kctl);
  row(
    `initial apply, ${n} ConfigMaps, kubectl apply --server-side: median of ${pairs}`,
    `${med(k.map((c) => c.wall))} ms`,
    `CPU kubectl / apiserver / etcd ${med(k.map((c) => c.self))} / ${med(k.map((c) => c.api))} / ${med(k.map((c) => c.etcd))} ms`,
  );
  for (const v of variants) {
    const o = results.map((r) => r.ours.get(v) as Ours);
    const ratios = results.map((r) => (r.ours.get(v) as Ours).wall / r.kctl.wall);
    const at = (x: Ours, key: string): number => x.phases.get(key)?.last ?? 0;
    const dryEnd = (x: Ours): number => at(x, 'PATCH object dry-run');
    row(
      `  gitops-seal (${v}): median wall, ratio = median of per-round ratios (target ≤ 0.5×)`,
      `${med(o.map((c) => c.wall))} ms, ${median(ratios).toFixed(2)}×`,
      `rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
    );
    row(
      `  gitops-seal (${v}): CPU daemon / apiserver / etcd`,
      `${med(o.map((c) => c.self))} / ${med(o.map((c) => c.api))} / ${med(o.map((c) => c.etcd))} ms`,
      '',
    );
    // Before the first request (fetch, parse, decrypt); the dry-run pass (with the Namespace
    // prerequisite); the apply pass; what follows (inventory, Event).
    row(
      `  gitops-seal (${v}): phases ms: fetch+parse / dry-run / apply / inventory+rest`,
      `${med(o.map((x) => x.prefetch))} / ${med(o.map((x) => dryEnd(x) - x.prefetch))} / ${med(o.map((x) => at(x, 'PATCH object') - dryEnd(x)))} / ${med(o.map((x) => x.wall - at(x, 'PATCH object')))}`,
      '',
    );
  }
}
