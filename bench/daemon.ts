// Daemon benchmarks on the real stack (kube-apiserver + git http-backend), printed side by side
// with kubectl as the baseline:
//   1. initial apply of 1,000 objects: the daemon's reconcile vs `kubectl apply --server-side`
//   2. no-op reconcile of 5,000 objects: write calls (counted by the apiserver's own
//      apiserver_request_total) and CPU time of the drift full check and of a re-reconcile
//   3. webhook → applied latency (median of 5 commits)
//   4. daemon RSS (the real `gitops-seal-daemon` process, /proc/<pid>/status VmRSS)
// Usage: npx tsx bench/daemon.ts   (needs `bash test/stack/install.sh` done once)
//        BENCH_ONLY=initial [BENCH_PAIRS=5] [BENCH_OBJECTS=1000] npx tsx bench/daemon.ts — only (1),
//        repeated in alternating pairs, with request phases and apiserver/etcd CPU
//        BENCH_ONLY=commit|fleet — commit → applied with the phase breakdown (bench/daemon-commit.ts)
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseConfig } from '../daemon/config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { KubeClient, type RawResponse, type RequestOptions } from '../daemon/kube/client.js';
import { createLogger } from '../daemon/log.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import { freePort } from '../test/stack/procs.js';
import { kubeBins, kubeRequest, startKube } from '../test/stack/kube.js';

const run = promisify(execFile);
const rows: [string, string, string][] = [];
const row = (what: string, ours: string, baseline: string): void => {
  rows.push([what, ours, baseline]);
};

const cm = (ns: string, i: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(5, '0')}\n  namespace: ${ns}\ndata:\n  index: "${i}"\n  payload: "${'x'.repeat(200)}"\n`;

function manifests(ns: string, n: number, perFile = 50): Record<string, string> {
  const files: Record<string, string> = { 'ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` };
  for (let f = 0; f * perFile < n; f++) {
    const docs: string[] = [];
    for (let i = f * perFile; i < Math.min(n, (f + 1) * perFile); i++) docs.push(cm(ns, i));
    files[`cm-${f}.yaml`] = docs.join('---\n');
  }
  return files;
}

async function writes(kube: Awaited<ReturnType<typeof startKube>>['info']): Promise<number> {
  const m = (await kubeRequest(kube, '/metrics')).body;
  let sum = 0;
  for (const line of m.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    if (!/resource="configmaps"/.test(line) || !/dry_run=""/.test(line)) continue;
    if (!/verb="(APPLY|PATCH|POST|PUT|DELETE|CREATE|UPDATE)"/.test(line)) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
};

async function initialApplyPairs(): Promise<void> {
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
          stringify({
            apiVersion: 'gitops-seal.io/v1alpha1',
            kind: 'DaemonConfig',
            spec: {
              sources: [
                {
                  name: 'repo',
                  url,
                  ref: { branch: 'main' },
                  interval: '1h',
                  credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
                },
              ],
              syncs: [{ name, source: 'repo', path: name, kubeconfig: { file: kube.info.kubeconfig } }],
            },
          }),
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

async function main(): Promise<void> {
  console.log('[bench] starting kube-apiserver + kwok + git server…');
  const [kube, git] = await Promise.all([startKube({ nodes: 1 }), startGitServer()]);
  const kubectl = join(kubeBins().kubeStack, '..', 'kubectl');
  const work = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-'));
  try {
    process.env.BENCH_GIT_USER = git.info.username;
    process.env.BENCH_GIT_PASSWORD = git.info.password;
    const files: Record<string, string> = {};
    for (const [p, t] of Object.entries(manifests('bench-daemon', 1000))) files[`apps1k/${p}`] = t;
    for (const [p, t] of Object.entries(manifests('bench-fleet', 5000))) files[`fleet5k/${p}`] = t;
    const url = await createRepo(git.info, 'bench', files);

    // kubectl baseline on the same manifests (another namespace).
    const kdir = join(work, 'kubectl');
    mkdirSync(kdir);
    for (const [p, t] of Object.entries(manifests('bench-kubectl', 1000))) writeFileSync(join(kdir, p), t);
    await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '-f', join(kdir, 'ns.yaml')]);
    let t0 = Date.now();
    await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '--field-manager=bench', '-R', '-f', kdir], {
      maxBuffer: 1 << 26,
    });
    const kubectlMs = Date.now() - t0;

    const config = (syncs: object[]) =>
      parseConfig(
        stringify({
          apiVersion: 'gitops-seal.io/v1alpha1',
          kind: 'DaemonConfig',
          spec: {
            sources: [
              {
                name: 'repo',
                url,
                ref: { branch: 'main' },
                interval: '1h',
                credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
                webhook: { type: 'github', secretFrom: { env: 'BENCH_HOOK' } },
              },
            ],
            syncs,
          },
        }),
        'bench.yaml',
      );
    const log = createLogger({ level: 'warn' });
    const one = new Daemon(config([{ name: 'apps1k', source: 'repo', path: 'apps1k', kubeconfig: { file: kube.info.kubeconfig } }]), {
      dataDir: join(work, 'd1'),
      log,
      listen: '127.0.0.1:0',
    });
    await one.init();
    t0 = Date.now();
    const errs = await one.once();
    const oursMs = Date.now() - t0;
    if (errs.length) throw errs[0];
    await one.stop();
    row(
      'initial apply, 1,000 ConfigMaps (fetch+parse+dry-run+apply+inventory)',
      sec(oursMs),
      `${sec(kubectlMs)} (kubectl apply --server-side)`,
    );
    row('  ratio to kubectl (target ≤ 0.5×)', `${(oursMs / kubectlMs).toFixed(2)}×`, '1.00×');

    // 5,000 objects: first apply, then no-op reconciles.
    const five = new Daemon(config([{ name: 'fleet', source: 'repo', path: 'fleet5k', kubeconfig: { file: kube.info.kubeconfig } }]), {
      dataDir: join(work, 'd5'),
      log,
      listen: '127.0.0.1:0',
    });
    await five.init();
    t0 = Date.now();
    if ((await five.once()).length) throw new Error('5k apply failed');
    const fiveMs = Date.now() - t0;
    const ctl = five.syncs.get('fleet');
    const drift = five.drift.get('fleet');
    if (!ctl?.lastGood || !drift) throw new Error('no state');
    await drift.track(ctl.lastGood);
    let w0 = await writes(kube.info);
    let c0 = process.cpuUsage();
    t0 = Date.now();
    const corrections = await drift.fullCheck();
    const checkMs = Date.now() - t0;
    const checkCpu = cpuMs(process.cpuUsage(c0));
    const checkWrites = (await writes(kube.info)) - w0;
    drift.stop();
    row('apply 5,000 ConfigMaps (first time)', sec(fiveMs), '');
    row('no-op drift check, 5,000 objects: write calls', `${checkWrites} (corrections ${corrections})`, 'target 0');
    row('no-op drift check, 5,000 objects: wall / CPU', `${sec(checkMs)} / ${sec(checkCpu)}`, '');
    const poller = five.sources.get('repo');
    const rev = poller?.lastRevision;
    if (!rev) throw new Error('no revision');
    w0 = await writes(kube.info);
    c0 = process.cpuUsage();
    t0 = Date.now();
    await ctl.reconcile(rev);
    const reMs = Date.now() - t0;
    const reCpu = cpuMs(process.cpuUsage(c0));
    const reWrites = (await writes(kube.info)) - w0;
    row('full re-reconcile of an unchanged revision, 5,000 objects: wall / CPU', `${sec(reMs)} / ${sec(reCpu)}`, '');
    row('  configmap write calls (SSA no-ops + inventory save)', String(reWrites), '');
    await five.stop();

    // The real daemon process: webhook latency and RSS.
    const port = await freePort();
    const cfgFile = join(work, 'daemon.yaml');
    writeFileSync(
      cfgFile,
      stringify({
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: {
          listen: `127.0.0.1:${port}`,
          sources: [
            {
              name: 'repo',
              url,
              ref: { branch: 'main' },
              interval: '1h',
              credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
              webhook: { type: 'github', secretFrom: { env: 'BENCH_HOOK' } },
            },
          ],
          syncs: [{ name: 'fleet', source: 'repo', path: 'fleet5k', kubeconfig: { file: kube.info.kubeconfig } }],
        },
      }),
    );
    const env = { ...process.env, BENCH_HOOK: 'bench-secret', GITOPS_SEAL_DATA: join(work, 'dp'), LOG_LEVEL: 'warn' };
    // The compiled daemon (npm run build), as users run it; tsx only when there is no build.
    const entry = existsSync('dist/daemon/main.js') ? ['dist/daemon/main.js'] : ['--import', 'tsx', 'daemon/main.ts'];
    // Extra V8 flags for the daemon process (e.g. a smaller young generation), to compare footprints.
    // Default: the V8 settings the README recommends for the daemon (NODE_OPTIONS).
    const flags = (process.env.BENCH_DAEMON_NODE_FLAGS ?? '--max-semi-space-size=1 --max-old-space-size=160')
      .split(' ')
      .filter((f) => f !== '');
    const child = spawn(process.execPath, [...flags, ...entry, '--config', cfgFile], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const status = async (): Promise<{ syncs: { appliedRevision?: string }[] }> =>
        (await fetch(`http://127.0.0.1:${port}/status`)).json() as Promise<{ syncs: { appliedRevision?: string }[] }>;
      const until = async (f: () => Promise<boolean>): Promise<void> => {
        for (let i = 0; i < 1200; i++) {
          if (await f().catch(() => false)) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error('timeout');
      };
      await until(async () => (await status()).syncs[0]?.appliedRevision !== undefined);
      const clone = join(work, 'clone');
      await run('git', ['clone', '--quiet', authedUrl(git.info, 'bench'), clone]);
      const lat: number[] = [];
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(clone, 'fleet5k', 'cm-0.yaml'), cm('bench-fleet', 0).replace('index: "0"', `index: "0-${i}"`));
        await run('git', ['-C', clone, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', `bump ${i}`]);
        await run('git', ['-C', clone, 'push', '-q', 'origin', 'HEAD:main']);
        const sha = (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
        const body = Buffer.from(JSON.stringify({ after: sha }));
        t0 = Date.now();
        await fetch(`http://127.0.0.1:${port}/hooks/repo`, {
          method: 'POST',
          body,
          headers: { 'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'bench-secret').update(body).digest('hex') },
        });
        await until(async () => (await status()).syncs[0]?.appliedRevision === sha);
        lat.push(Date.now() - t0);
      }
      lat.sort((a, b) => a - b);
      row('webhook → applied, 5,000-object sync (median of 5; target ≤ 1 s)', `${lat[2]} ms`, `min ${lat[0]} / max ${lat[4]} ms`);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      row(
        'daemon RSS with 5,000 managed objects (target ≤ 150 MiB)',
        `${rss.toFixed(0)} MiB (peak ${hwm.toFixed(0)} MiB)`,
        `${entry[0] === '--import' ? 'run under tsx (no build)' : 'node dist/daemon/main.js'}${flags.length ? ` ${flags.join(' ')}` : ''}`,
      );
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    await git.stop();
    await kube.stop();
  }
}

function printRows(): void {
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
  console.log(`\n${'benchmark'.padEnd(w[0] ?? 0)} | ${'gitops-seal'.padEnd(w[1] ?? 0)} | baseline`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0] ?? 0)} | ${b.padEnd(w[1] ?? 0)} | ${c}`);
}

// Issue 18's targets, with session 11's figures (bench/README.md; 5,000/20,000: load 2.9–3.4)
// as "before" — the fleet's from session 9's quiet pass (load 3.4–4.9), session 11 ran none.
const ISSUE18: { id: string; what: string; target: string; before: string }[] = [
  { id: 'commit5000:p50/p99', what: 'one-file commit, 5,000 objects: p50 / p99', target: '≤ 250 / ≤ 500 ms', before: '283 / 481 ms' },
  { id: 'commit5000:requests', what: '… requests per commit (writes)', target: '≤ 5 + 2 × 1 = 7', before: '5 (3)' },
  { id: 'commit20000:p50/p99', what: 'one-file commit, 20,000 objects: p50 / p99', target: 'p50 ≤ 400 ms', before: '1,050 / 1,492 ms' },
  { id: 'commit20000:requests', what: '… requests per commit (writes)', target: '≤ 7', before: '20 (3)' },
  { id: 'fleet:p50/p99', what: '50 syncs, 50 one-sync commits: p50 / p99', target: '≤ 1,000 / ≤ 2,000 ms', before: '1,207 / 4,428 ms' },
  { id: 'fleet:missed', what: '… missed commits', target: '0', before: '0' },
  { id: 'fleet:requests', what: '… daemon requests per commit (writes)', target: '≤ 7', before: '9.6 (3.0)' },
  { id: 'rss20000', what: 'daemon RSS, 20,000 objects, recommended NODE_OPTIONS', target: '≤ 250 MiB', before: '— (not measured)' },
];

function printTargets(figures: { id: string; now: string }[]): void {
  const now = new Map(figures.map((f) => [f.id, f.now]));
  const table = [
    ['issue 18', 'target', 'before', 'now'],
    ...ISSUE18.filter((r) => now.has(r.id)).map((r) => [r.what, r.target, r.before, now.get(r.id) ?? '']),
  ];
  for (const f of figures) if (!ISSUE18.some((r) => r.id === f.id)) table.push([f.id, '—', '—', f.now]);
  const w = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(`\n(load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  for (const r of table) console.log(r.map((c, i) => (i < 3 ? c.padEnd(w[i] ?? 0) : c)).join(' | '));
}

if (process.env.BENCH_ONLY === 'rss') {
  // Issue 18: RSS of a real daemon process at 20,000 objects (bench/daemon-rss.ts).
  const { rssBench } = await import('./daemon-rss.js');
  const { lines, figures } = await rssBench();
  console.log(lines.join('\n'));
  printTargets(figures);
} else if (process.env.BENCH_ONLY === 'commit' || process.env.BENCH_ONLY === 'fleet') {
  // Issue 18: commit → applied per phase (bench/daemon-commit.ts).
  const { commitBenches } = await import('./daemon-commit.js');
  printTargets(await commitBenches(process.env.BENCH_ONLY));
} else {
  if (process.env.BENCH_ONLY === 'initial') await initialApplyPairs();
  else await main();
  printRows();
}
process.exit(0);
