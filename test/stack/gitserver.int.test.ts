// Smoke test of the stack's git server: real `git http-backend` behind basic auth, driven by
// isomorphic-git (what the daemon uses) and by the git CLI.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authedUrl, createRepo, setRejectPushes, startGitServer } from './gitserver.js';
import type { GitInfo, StackInfo, Started } from './types.js';

const run = promisify(execFile);

describe('git server (git http-backend)', () => {
  let server: Started<GitInfo> | undefined;
  let info: GitInfo;
  // Unique per run: the stack may be shared with other test files.
  const ns = `smoke-${randomBytes(3).toString('hex')}`;
  let work: string;
  const onAuth = () => ({ username: info.username, password: info.password });
  const author = { name: 'smoke', email: 'smoke@gitops-seal.invalid' };

  beforeAll(async () => {
    // The shared stack of the global setup when there is one, else a server of our own.
    const shared = inject('stack') as StackInfo | undefined;
    if (shared) info = shared.git;
    else {
      server = await startGitServer();
      info = server.info;
    }
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-git-smoke-'));
  });
  afterAll(async () => {
    await setRejectPushes(info, false).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  it('requires basic auth', async () => {
    await createRepo(info, `${ns}/private`, { 'README.md': 'x\n' });
    const res = await fetch(`${info.url}${ns}/private.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('isomorphic-git clones a seeded repo, commits and pushes; fsck is clean; git CLI sees the commit', async () => {
    const url = await createRepo(info, `${ns}/demo`, { 'README.md': '# demo\n', 'deploy/cm.yaml': 'kind: ConfigMap\n' });
    const dir = join(work, 'iso');
    await git.clone({ fs, http, dir, url, onAuth, ref: 'main', singleBranch: true });
    expect(readFileSync(join(dir, 'deploy/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');

    writeFileSync(join(dir, 'new.txt'), 'pushed by isomorphic-git\n');
    await git.add({ fs, dir, filepath: 'new.txt' });
    const sha = await git.commit({ fs, dir, message: 'add new.txt', author });
    const pushed = await git.push({ fs, http, dir, remote: 'origin', ref: 'main', onAuth });
    expect(pushed.ok).toBe(true);

    const bare = join(info.reposDir, `${ns}/demo.git`);
    const fsck = await run('git', ['-C', bare, 'fsck', '--full', '--strict']);
    expect(fsck.stderr).not.toMatch(/error|missing|dangling/i);
    const head = await run('git', ['-C', bare, 'rev-parse', 'refs/heads/main']);
    expect(head.stdout.trim()).toBe(sha);

    const cli = join(work, 'cli');
    await run('git', ['clone', '--quiet', authedUrl(info, `${ns}/demo`), cli]);
    expect(readFileSync(join(cli, 'new.txt'), 'utf8')).toBe('pushed by isomorphic-git\n');
    // The CLI can push too (protocol v2 fetch, chunked/gzip receive-pack bodies).
    writeFileSync(join(cli, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    await run('git', ['-C', cli, 'add', 'big.bin']);
    await run('git', ['-C', cli, '-c', 'user.name=cli', '-c', 'user.email=cli@x.invalid', 'commit', '-qm', 'big']);
    await run('git', ['-C', cli, '-c', 'http.postBuffer=65536', 'push', '--quiet', 'origin', 'main']);
    await git.pull({ fs, http, dir, ref: 'main', singleBranch: true, onAuth, author });
    expect(fs.statSync(join(dir, 'big.bin')).size).toBe(2 * 1024 * 1024);
    const fsck2 = await run('git', ['-C', bare, 'fsck', '--full', '--strict']);
    expect(fsck2.stderr).not.toMatch(/error|missing/i);
  });

  it('with reject-pushes on, a push fails with 403 and the ref is unchanged', async () => {
    const url = await createRepo(info, `${ns}/locked`, { 'a.txt': 'a\n' });
    const dir = join(work, 'locked');
    await git.clone({ fs, http, dir, url, onAuth, ref: 'main', singleBranch: true });
    const before = (await run('git', ['-C', join(info.reposDir, `${ns}/locked.git`), 'rev-parse', 'main'])).stdout.trim();
    writeFileSync(join(dir, 'b.txt'), 'b\n');
    await git.add({ fs, dir, filepath: 'b.txt' });
    await git.commit({ fs, dir, message: 'b', author });

    await setRejectPushes(info, true);
    const err = await git.push({ fs, http, dir, remote: 'origin', ref: 'main', onAuth }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string; data?: { statusCode?: number } },
    );
    expect(err).not.toBeNull();
    expect(err?.code).toBe('HttpError');
    expect(err?.data?.statusCode).toBe(403);
    expect(err?.message).toMatch(/403/);
    const after = (await run('git', ['-C', join(info.reposDir, `${ns}/locked.git`), 'rev-parse', 'main'])).stdout.trim();
    expect(after).toBe(before);

    await setRejectPushes(info, false);
    const ok = await git.push({ fs, http, dir, remote: 'origin', ref: 'main', onAuth });
    expect(ok.ok).toBe(true);
  });

  it('passes gzip request bodies through to http-backend (as the git CLI sends them)', async () => {
    await createRepo(info, `${ns}/gz`, { 'a.txt': 'hello\n' });
    const sha = (await run('git', ['-C', join(info.reposDir, `${ns}/gz.git`), 'rev-parse', 'main'])).stdout.trim();
    const pkt = (line: string): string => (line.length + 4).toString(16).padStart(4, '0') + line;
    const body = `${pkt(`want ${sha} ofs-delta\n`)}0000${pkt('done\n')}`;
    const res = await fetch(`${info.url}${ns}/gz.git/git-upload-pack`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${info.username}:${info.password}`).toString('base64')}`,
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const out = Buffer.from(await res.arrayBuffer());
    expect(out.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(out.includes(Buffer.from('PACK'))).toBe(true);
  });

  it('refuses to create a repo twice and rejects path escapes', async () => {
    await createRepo(info, `${ns}/once`);
    await expect(createRepo(info, `${ns}/once`)).rejects.toThrow(/already exists/);
    await expect(createRepo(info, '../evil')).rejects.toThrow(/invalid repo name/);
  });
});
