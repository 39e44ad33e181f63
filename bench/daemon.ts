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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseConfig } from '../daemon/config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/log.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import { freePort } from '../test/stack/procs.js';
import { kubeBins, kubeRequest, startKube } from '../test/stack/kube.js';
import { benchConfig, cm, manifests, median, RECOMMENDED_FLAGS } from './daemon-fixtures.js';
import { initialApplyPairs } from './daemon-initial.js';

const run = promisify(execFile);
const rows: [string, string, string][] = [];
const row = (what: string, ours: string, baseline: string): void => {
  rows.push([what, ours, baseline]);
};

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

    const config = (syncs: object[]) => parseConfig(stringify(benchConfig({ url, hookEnv: 'BENCH_HOOK', syncs })), 'bench.yaml');
    const log = createLogger({ level: 'warn' });
    const one = new Daemon(config([{ name: 'apps1k', path: 'apps1k', kubeconfig: { file: kube.info.kubeconfig } }]), {
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
    const five = new Daemon(config([{ name: 'fleet', path: 'fleet5k', kubeconfig: { file: kube.info.kubeconfig } }]), {
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
      stringify(
        benchConfig({
          url,
          hookEnv: 'BENCH_HOOK',
          listen: `127.0.0.1:${port}`,
          syncs: [{ name: 'fleet', path: 'fleet5k', kubeconfig: { file: kube.info.kubeconfig } }],
        }),
      ),
    );
    const env = { ...process.env, BENCH_HOOK: 'bench-secret', GITOPS_SEAL_DATA: join(work, 'dp'), LOG_LEVEL: 'warn' };
    // The compiled daemon (npm run build), as users run it; tsx only when there is no build.
    const entry = existsSync('dist/daemon/main.js') ? ['dist/daemon/main.js'] : ['--import', 'tsx', 'daemon/main.ts'];
    // Extra V8 flags for the daemon process (e.g. a smaller young generation), to compare footprints.
    // Default: the V8 settings the README recommends for the daemon (NODE_OPTIONS).
    const flags = (process.env.BENCH_DAEMON_NODE_FLAGS ?? RECOMMENDED_FLAGS).split(' ').filter((f) => f !== '');
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
  if (process.env.BENCH_ONLY === 'initial') await initialApplyPairs(row);
  else await main();
  printRows();
}
process.exit(0);
