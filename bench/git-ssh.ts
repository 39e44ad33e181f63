// Bench: the same repository fetched by GitSource over smart HTTP (git http-backend) and over
// SSH (OpenSSH sshd + git-shell, test/stack/sshd.ts), both started here: a poll with the head
// unchanged, and a poll after one new commit (median of N rounds each), plus the memory the SSH
// path adds (the ssh2 module, and RSS growth over the rounds).
//   npx tsx --expose-gc bench/git-ssh.ts [rounds=15] [files=300]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSource } from '../daemon/source/index.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import { authorizeKey, sshRepoUrl, startSshd } from '../test/stack/sshd.js';
import { newSshKey } from '../test/support/ssh-fixture.js';

// The git server runs in this process: git CLI calls must not block its event loop.
const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 15);
const nFiles = Number(process.argv[3] ?? 300);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = (): number => {
  gc();
  return process.memoryUsage().rss;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

// In a fresh node: this process has loaded ssh2 already (daemon/git imports it).
const ssh2Cost = Number(
  execFileSync(process.execPath, [
    '--expose-gc',
    '-e',
    "gc(); const a = process.memoryUsage().rss; require('ssh2'); gc(); console.log(process.memoryUsage().rss - a)",
  ]).toString(),
);

const git = await startGitServer();
const sshd = await startSshd(git.info.reposDir);
const tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-ssh-'));
try {
  const files: Record<string, string> = {};
  for (let i = 0; i < nFiles; i++)
    files[`apps/app-${i % 20}/cm-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${i}"\n`;
  await createRepo(git.info, 'bench', files);
  const work = join(tmp, 'work');
  await run('git', ['clone', '-q', authedUrl(git.info, 'bench'), work]);
  const key = newSshKey('ed25519');
  authorizeKey(sshd.info, key.publicKey, 'read');
  const http = new GitSource(
    {
      name: 'http',
      url: `${git.info.url}bench.git`,
      ref: { branch: 'main' },
      auth: async () => ({ username: git.info.username, password: git.info.password }),
    },
    join(tmp, 'cache'),
  );
  const ssh = new GitSource(
    {
      name: 'ssh',
      url: sshRepoUrl(sshd.info, 'bench'),
      ref: { branch: 'main' },
      ssh: { key: async () => ({ privateKey: key.privateKey }), knownHosts: async () => sshd.info.knownHosts },
    },
    join(tmp, 'cache'),
  );
  await http.fetch();
  await ssh.fetch();
  // What a daemon polling every minute sees: a new connection per poll (a new transport each
  // time, over the same store), not the one kept for 5 s after an operation.
  const coldSpec = {
    name: 'ssh',
    url: sshRepoUrl(sshd.info, 'bench'),
    ref: { branch: 'main' },
    ssh: { key: async () => ({ privateKey: key.privateKey }), knownHosts: async () => sshd.info.knownHosts },
  };
  const cold = (): GitSource => new GitSource(coldSpec, join(tmp, 'cache'));
  const t = {
    http: { same: [] as number[], next: [] as number[] },
    ssh: { same: [] as number[], next: [] as number[] },
    cold: { same: [] as number[], next: [] as number[] },
  };
  const timed = async (src: GitSource): Promise<number> => {
    const t0 = performance.now();
    await src.fetch();
    return performance.now() - t0;
  };
  const rssStart = rss();
  for (let r = 0; r < rounds; r++) {
    t.http.same.push(await timed(http));
    t.ssh.same.push(await timed(ssh));
    t.cold.same.push(await timed(cold()));
    writeFileSync(
      join(work, `apps/app-0/cm-0.yaml`),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\ndata:\n  v: "round-${r}"\n`,
    );
    await run('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@x', 'commit', '-qam', `r${r}`]);
    await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD']);
    // Alternate who fetches the new commit first, so neither always meets a cold server cache.
    const order = r % 2 === 0 ? (['http', 'ssh'] as const) : (['ssh', 'http'] as const);
    for (const which of order) t[which].next.push(await timed(which === 'http' ? http : ssh));
    writeFileSync(
      join(work, `apps/app-1/cm-1.yaml`),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-1\ndata:\n  v: "round-${r}"\n`,
    );
    await run('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@x', 'commit', '-qam', `c${r}`]);
    await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD']);
    t.cold.next.push(await timed(cold()));
    // Both long-lived sources catch up untimed, so the next round's first poll is unchanged.
    await http.fetch();
    await ssh.fetch();
  }
  const rssEnd = rss();
  console.log(`${nFiles} files, ${rounds} rounds, load ${execFileSync('cat', ['/proc/loadavg']).toString().trim()}`);
  const row = (label: string, k: 'same' | 'next'): string =>
    `${label} ${[t.http[k], t.ssh[k], t.cold[k]].map((x) => `${median(x).toFixed(1).padStart(8)} ms`).join(' ')}   (median)`;
  console.log(`                      HTTP    SSH kept conn  SSH new conn`);
  console.log(row('unchanged head  ', 'same'));
  console.log(row('one new commit  ', 'next'));
  console.log(`requests         ${http.stats.requests.toString().padStart(8)}    ${ssh.stats.requests.toString().padStart(8)}`);
  console.log(`bytes received   ${http.stats.bytesReceived.toString().padStart(8)}    ${ssh.stats.bytesReceived.toString().padStart(8)}`);
  console.log(`ssh2 module loaded: +${mb(ssh2Cost)} RSS; RSS over the ${rounds * 4} timed polls: ${mb(rssStart)} → ${mb(rssEnd)}`);
} finally {
  await sshd.stop();
  await git.stop();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
