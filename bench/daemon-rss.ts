// Issue 18: RSS of a real daemon process managing N objects (default 20,000), with the V8 flags
// we recommend (deploy/deployment.yaml, Dockerfile: NODE_OPTIONS). Run through bench/daemon.ts:
//   BENCH_ONLY=rss [BENCH_OBJECTS=20000] [BENCH_COMMITS=5] [BENCH_HEAP=1] npx tsx bench/daemon.ts
// The compiled daemon (`npx tsc -p tsconfig.build.json` writes dist/) as users run it; under tsx
// only when there is no build (tsx's loader adds its own memory: say so when quoting). One sync
// of N ConfigMaps; after its first apply, K one-file commits announced by a signed webhook; VmRSS
// sampled every 500 ms from /proc. BENCH_HEAP=1: a heap snapshot at the end (SIGUSR2), summed
// by constructor, to say what holds the memory.
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { benchConfig, RECOMMENDED_FLAGS } from './daemon-fixtures.js';
import { authedUrl, createRepo } from '../test/stack/gitserver.js';
import { freePort } from '../test/stack/procs.js';
import { cleanup, files, load, med, stack, type Figure } from './daemon-commit.js';

const run = promisify(execFile);
const HOOK = 'bench-rss-hook';
/** What the README, deploy/ and the Dockerfile recommend for the daemon process. */

const mib = (kb: number): number => kb / 1024;
function vm(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** A V8 heap snapshot summed by constructor (node name of "object" nodes), largest first. */
function heapByConstructor(file: string, top = 12): string[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + iType] as number] ?? '?';
    const name = type === 'object' || type === 'closure' ? (snap.strings[snap.nodes[i + iName] as number] ?? '?') : `(${type})`;
    const e = by.get(name) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize] as number;
    e.count++;
    by.set(name, e);
  }
  const total = [...by.values()].reduce((a, e) => a + e.size, 0);
  return [
    `heap snapshot: ${(total / 2 ** 20).toFixed(1)} MiB in ${by.size} constructors/types; largest by self size:`,
    ...[...by]
      .sort((a, b) => b[1].size - a[1].size)
      .slice(0, top)
      .map(([n, e]) => `    ${(e.size / 2 ** 20).toFixed(1).padStart(6)} MiB  ${String(e.count).padStart(8)}×  ${n.slice(0, 60)}`),
  ];
}

export async function rssBench(): Promise<{ lines: string[]; figures: Figure[] }> {
  const n = Number(process.env.BENCH_OBJECTS ?? '20000');
  const commits = Number(process.env.BENCH_COMMITS ?? '5');
  const s = await stack();
  const name = `brss${n}-${Date.now().toString(36)}`;
  const work = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-rss-'));
  const url = await createRepo(s.git, name, files('s', name, n));
  const port = await freePort();
  const cfg = join(work, 'daemon.yaml');
  writeFileSync(
    cfg,
    stringify(
      benchConfig({
        url,
        hookEnv: 'BENCH_RSS_HOOK',
        listen: `127.0.0.1:${port}`,
        syncs: [{ name, path: 's', kubeconfig: { file: s.kube.kubeconfig } }],
      }),
    ),
  );
  const dist = resolve('dist/daemon/main.js');
  const entry = existsSync(dist) ? [dist] : ['--import', 'tsx', resolve('daemon/main.ts')];
  const flags = (process.env.BENCH_DAEMON_NODE_FLAGS ?? RECOMMENDED_FLAGS).split(' ').filter((x) => x !== '');
  const heap = process.env.BENCH_HEAP === '1';
  const env = {
    ...process.env,
    BENCH_GIT_USER: s.git.username,
    BENCH_GIT_PASSWORD: s.git.password,
    BENCH_RSS_HOOK: HOOK,
    GITOPS_SEAL_DATA: join(work, 'data'),
    LOG_LEVEL: 'warn',
  };
  const args = [...flags, ...(heap ? ['--heapsnapshot-signal=SIGUSR2'] : []), ...entry, '--config', cfg];
  const child = spawn(process.execPath, args, { env, cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  const pid = child.pid ?? 0;
  const samples: { phase: string; kb: number }[] = [];
  let phase = 'initial apply';
  const sampler = setInterval(() => {
    try {
      samples.push({ phase, kb: vm(pid, 'VmRSS') });
    } catch {
      // exited
    }
  }, 500);
  const status = async (): Promise<string | undefined> =>
    ((await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { syncs: { appliedRevision?: string }[] }).syncs[0]
      ?.appliedRevision;
  const until = async (what: string, f: () => Promise<boolean>, ms = 900_000): Promise<void> => {
    const t0 = Date.now();
    while (!(await f().catch(() => false))) {
      // An out-of-memory abort ends it by a signal (exitCode stays null).
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`daemon exited (${child.exitCode ?? child.signalCode}) waiting for ${what}: ${how}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const how = `${entry[0] === dist ? 'node dist/daemon/main.js' : 'tsx daemon/main.ts (no build)'} ${flags.join(' ')}`;
  const lines: string[] = [];
  const figures: Figure[] = [];
  try {
    const t0 = Date.now();
    await until('the first apply', async () => (await status()) !== undefined);
    const initialS = (Date.now() - t0) / 1000;
    const afterInitial = vm(pid, 'VmRSS');
    console.log(
      `[bench] ${how}: first apply of ${n} objects in ${initialS.toFixed(0)} s; RSS ${mib(afterInitial).toFixed(0)} MiB, peak ${mib(vm(pid, 'VmHWM')).toFixed(0)} MiB (load ${load()})`,
    );
    phase = 'drift baseline';
    await new Promise((r) => setTimeout(r, 15_000)); // the drift detector's first full check
    phase = 'commits';
    const clone = join(work, 'clone');
    await run('git', ['clone', '--quiet', authedUrl(s.git, name), clone]);
    for (let k = 0; k < commits; k++) {
      const i = (k * 37) % n;
      const file = `s/cm-${Math.floor(i / 50)}.yaml`;
      writeFileSync(join(clone, file), files('s', name, n, (j) => (j === i ? k + 1 : 0))[file] as string);
      await run('git', ['-C', clone, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', `rss ${k}`]);
      // The shared git server can refuse pushes for a while (another test's fault injection).
      for (let attempt = 0; ; attempt++) {
        const pushed = await run('git', ['-C', clone, 'push', '-q', 'origin', 'HEAD:main']).then(
          () => true,
          (err: unknown) => (attempt < 30 ? false : Promise.reject(err)),
        );
        if (pushed) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      const sha = (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
      const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
      const sig = 'sha256=' + createHmac('sha256', HOOK).update(body).digest('hex');
      await fetch(`http://127.0.0.1:${port}/hooks/repo`, { method: 'POST', body, headers: { 'x-hub-signature-256': sig } });
      await until(`commit ${k}`, async () => (await status()) === sha, 120_000);
    }
    phase = 'steady';
    await new Promise((r) => setTimeout(r, 10_000));
    const of = (p: string): number[] => samples.filter((x) => x.phase === p).map((x) => x.kb);
    const other = flags.join(' ') === RECOMMENDED_FLAGS ? '' : ` with ${flags.join(' ')}`;
    figures.push({ id: `rss${n}`, now: `${mib(med(of('steady'))).toFixed(0)} MiB (peak ${mib(vm(pid, 'VmHWM')).toFixed(0)})${other}` });
    lines.push(
      `daemon RSS, ${n.toLocaleString('en')} objects (${how}): after the first apply ${mib(afterInitial).toFixed(0)} MiB (took ${initialS.toFixed(0)} s); ` +
        `during ${commits} commits median ${mib(med(of('commits'))).toFixed(0)} MiB; steady median ${mib(med(of('steady'))).toFixed(0)} MiB; ` +
        `peak (VmHWM) ${mib(vm(pid, 'VmHWM')).toFixed(0)} MiB | target ≤ 250 MiB | load ${load()}`,
    );
    if (heap) {
      const before = new Set(readdirSync(work));
      child.kill('SIGUSR2');
      let snap: string | undefined;
      await until('the heap snapshot', async () => {
        snap = readdirSync(work).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
        // Written when the size stops changing.
        if (!snap) return false;
        const a = readFileSync(join(work, snap)).length;
        await new Promise((r) => setTimeout(r, 1000));
        return a > 0 && readFileSync(join(work, snap)).length === a;
      });
      if (snap) lines.push(...heapByConstructor(join(work, snap)));
    }
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await cleanup(s, [name], [name]);
    await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return { lines, figures };
}
