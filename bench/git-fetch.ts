// Issue 18: where a one-file commit's fetch spends its time, request by request.
//   npx tsx bench/git-fetch.ts [sizes=1000,5000,20000] [commits=7]
// On the shared stack's git server (GITOPS_SEAL_STACK_INFO or /tmp/stack-info.json; else a
// private one in this process). Per size: a repo of N ConfigMaps (50 per file) and C one-file
// commits. Per commit, each measured against the same old → new pair:
//   ours        GitSource.fetch() as the daemon calls it after a webhook: without the webhook's
//               sha (ref advertisement first) and with it (`fetch({ hint })`), phases from
//               lastFetchTimings, requests and bytes from its traffic counters
//   raw GET     the v1 ref advertisement alone (kept-alive connection)
//   raw POST    the want/have request alone, as sent before issue 18's fetch work (shallow +
//               deepen 1, no thin-pack: the server sends every blob of the new tree) and with
//               thin-pack (only what changed, deltas against objects we have)
//   server      `git upload-pack --stateless-rpc` on the bare repo with the same request, no
//               HTTP and no CGI: the git server's own time; `git --version` is the spawn floor
//   git CLI     `git fetch --depth=1` of the new commit into a shallow repo holding the old one
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitSource } from '../daemon/source/index.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import type { GitInfo, StackInfo } from '../test/stack/types.js';

const run = promisify(execFile);
const sizes = (process.argv[2] ?? '1000,5000,20000').split(',').map(Number);
const commits = Number(process.argv[3] ?? 7);
const RUN = Date.now().toString(36);
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const cm = (i: number, rev: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(5, '0')}\n  namespace: bench\ndata:\n  index: "${i}"\n  rev: "${rev}"\n  payload: "${'x'.repeat(200)}"\n`;
function file(f: number, n: number, rev: (i: number) => number): string {
  const docs: string[] = [];
  for (let i = f * 50; i < Math.min(n, (f + 1) * 50); i++) docs.push(cm(i, rev(i)));
  return docs.join('---\n');
}

const pkt = (s: string): string => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
function body(want: string, have: string, thin: boolean): Buffer {
  const caps = `side-band-64k ofs-delta${thin ? ' thin-pack' : ''} no-progress shallow agent=bench`;
  return Buffer.from(
    `${pkt(`want ${want} ${caps}\n`)}${pkt(`shallow ${have}\n`)}${pkt('deepen 1\n')}0000${pkt(`have ${have}\n`)}${pkt('done\n')}`,
  );
}

const agent = new Agent({ keepAlive: true });
function http(info: GitInfo, path: string, post?: Buffer): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const auth = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, info.url),
      {
        agent,
        method: post ? 'POST' : 'GET',
        headers: { authorization: auth, ...(post ? { 'content-type': 'application/x-git-upload-pack-request' } : {}) },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(post);
  });
}

function local(args: string[], input?: Buffer): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - t0));
    child.stdin.end(input);
  });
}

async function stackGit(): Promise<{ info: GitInfo; stop: () => Promise<void> }> {
  const f = process.env.GITOPS_SEAL_STACK_INFO ?? '/tmp/stack-info.json';
  if (existsSync(f)) return { info: (JSON.parse(readFileSync(f, 'utf8')) as StackInfo).git, stop: async () => undefined };
  const s = await startGitServer();
  return { info: s.info, stop: s.stop };
}

type Row = Record<string, number>;

async function oneSize(info: GitInfo, n: number, tmp: string): Promise<Row[]> {
  const name = `bgf${n}-${RUN}`;
  const files: Record<string, string> = {};
  for (let f = 0; f * 50 < n; f++) files[`s/cm-${f}.yaml`] = file(f, n, () => 0);
  const url = await createRepo(info, name, files);
  const dir = join(info.reposDir, `${name}.git`);
  const clone = join(tmp, `${name}-clone`);
  await run('git', ['clone', '-q', authedUrl(info, name), clone]);
  const auth = async (): Promise<{ username: string; password: string }> => ({ username: info.username, password: info.password });
  const plain = new GitSource({ name: 'plain', url, ref: { branch: 'main' }, auth }, join(tmp, `${name}-a`));
  const hinted = new GitSource({ name: 'hinted', url, ref: { branch: 'main' }, auth }, join(tmp, `${name}-b`));
  await plain.fetch();
  await hinted.fetch();
  const rows: Row[] = [];
  for (let k = 0; k < commits; k++) {
    const old = (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
    const i = (k * 37) % n;
    const f = Math.floor(i / 50);
    writeFileSync(
      join(clone, `s/cm-${f}.yaml`),
      file(f, n, (j) => (j === i ? k + 1 : 0)),
    );
    await run('git', ['-C', clone, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', `c${k}`]);
    await run('git', ['-C', clone, 'push', '-q', 'origin', 'HEAD:main']);
    const sha = (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
    const row: Row = {};
    const ours = async (label: string, src: GitSource, hint?: string): Promise<void> => {
      const r0 = { ...src.stats };
      const t0 = performance.now();
      const rev = await (hint !== undefined ? src.fetch({ hint: { ref: 'refs/heads/main', commit: hint } }) : src.fetch());
      row[`${label} total`] = performance.now() - t0;
      if (rev.commit !== sha) throw new Error(`${label} fetched ${rev.commit}, not ${sha}`);
      for (const [p, v] of Object.entries(src.lastFetchTimings)) row[`${label} ${p}`] = v as number;
      row[`${label} requests`] = src.stats.requests - r0.requests;
      row[`${label} KiB`] = (src.stats.bytesReceived - r0.bytesReceived) / 1024;
    };
    // Alternate who goes first: the server's caches warm for whoever comes second.
    if (k % 2 === 0) {
      await ours('ours', plain);
      await ours('ours+hint', hinted, sha);
    } else {
      await ours('ours+hint', hinted, sha);
      await ours('ours', plain);
    }
    row['raw GET info/refs'] = (await http(info, `${name}.git/info/refs?service=git-upload-pack`)).ms;
    const fat = await http(info, `${name}.git/git-upload-pack`, body(sha, old, false));
    const thin = await http(info, `${name}.git/git-upload-pack`, body(sha, old, true));
    row['raw POST (no thin-pack)'] = fat.ms;
    row['raw POST KiB (no thin-pack)'] = fat.bytes / 1024;
    row['raw POST (thin-pack)'] = thin.ms;
    row['raw POST KiB (thin-pack)'] = thin.bytes / 1024;
    row['server: spawn floor (git --version)'] = await local(['--version']);
    row['server: upload-pack advertise'] = await local(['upload-pack', '--stateless-rpc', '--advertise-refs', dir]);
    row['server: upload-pack (no thin-pack)'] = await local(['upload-pack', '--stateless-rpc', dir], body(sha, old, false));
    row['server: upload-pack (thin-pack)'] = await local(['upload-pack', '--stateless-rpc', dir], body(sha, old, true));
    const shallow = join(tmp, `${name}-shallow-${k}`);
    await run('git', ['init', '-q', '--bare', shallow]);
    await run('git', ['-C', shallow, 'fetch', '-q', '--depth=1', authedUrl(info, name), old]);
    let t0 = performance.now();
    await run('git', ['-C', shallow, 'fetch', '-q', '--depth=1', authedUrl(info, name), sha]);
    row['git fetch --depth=1 (v2)'] = performance.now() - t0;
    t0 = performance.now();
    await run('git', ['-C', shallow, '-c', 'protocol.version=0', 'fetch', '-q', '--depth=1', authedUrl(info, name), sha]);
    row['git fetch --depth=1 again (v0, nothing to send)'] = performance.now() - t0;
    rmSync(shallow, { recursive: true, force: true });
    rows.push(row);
  }
  return rows;
}

const git = await stackGit();
const tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-fetch-'));
try {
  for (const n of sizes) {
    const rows = await oneSize(git.info, n, tmp);
    console.log(`\n${n.toLocaleString('en')} objects, ${commits} one-file commits, median (min–max); load ${load()}`);
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    for (const key of keys) {
      const xs = rows.map((r) => r[key]).filter((x): x is number => x !== undefined);
      const unit = key.includes('KiB') ? ' KiB' : key.includes('requests') ? '' : ' ms';
      console.log(`  ${key.padEnd(48)} ${med(xs).toFixed(1)}${unit} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`);
    }
  }
} finally {
  agent.destroy();
  rmSync(tmp, { recursive: true, force: true });
  await git.stop();
}
