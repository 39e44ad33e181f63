// GitSource against the real git smart-HTTP server (git http-backend behind basic auth).
// Commits are made and pushed with the git CLI, exactly as a user would.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedUrl, createRepo, startGitServer } from '../../test/stack/gitserver.js';
import type { GitInfo, Started } from '../../test/stack/types.js';
import { SourceError } from './errors.js';
import { GitSource } from './git-source.js';
import type { GitRefSpec, GitSourceSpec } from './types.js';

const run = promisify(execFile);
const ID = ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com'];

let server: Started<GitInfo>;
let info: GitInfo;
let tmp: string;
let n = 0;

/** A working clone to commit and push from. */
class Work {
  constructor(
    readonly dir: string,
    readonly repo: string,
  ) {}
  static async clone(repo: string): Promise<Work> {
    const dir = join(tmp, `work-${n++}`);
    await run('git', ['clone', '-q', authedUrl(info, repo), dir]);
    return new Work(dir, repo);
  }
  async git(...args: string[]): Promise<string> {
    return (await run('git', ['-C', this.dir, ...ID, ...args], { maxBuffer: 64 << 20 })).stdout.trim();
  }
  write(files: Record<string, string | null>): void {
    for (const [p, content] of Object.entries(files)) {
      const full = join(this.dir, p);
      if (content === null) rmSync(full);
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  }
  async commit(files: Record<string, string | null>, msg = 'change', push = true): Promise<string> {
    this.write(files);
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', msg);
    if (push) await this.git('push', '-q', 'origin', 'HEAD');
    return this.git('rev-parse', 'HEAD');
  }
}

function source(repo: string, ref: GitRefSpec, extra: Partial<GitSourceSpec> = {}): GitSource {
  return new GitSource(
    {
      name: `src-${repo}`,
      url: `${info.url}${repo}.git`,
      ref,
      auth: async () => ({ username: info.username, password: info.password }),
      ...extra,
    },
    join(tmp, 'cache'),
  );
}

function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, statSync(p).size);
    }
  };
  walk(dir);
  return out;
}

async function caught(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

beforeAll(async () => {
  server = await startGitServer();
  info = server.info;
  tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-source-'));
});

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await server?.stop();
});

describe('GitSource on a branch', () => {
  let work: Work;
  let src: GitSource;
  let first: string;
  let second: string;

  beforeAll(async () => {
    await createRepo(info, 'branch', {
      'README.md': '# demo\n',
      'apps/a/deploy.yaml': 'kind: Deployment\n',
      'apps/a/svc.yaml': 'kind: Service\n',
      'apps/b/cm.yaml': 'kind: ConfigMap\n',
      'infra/ns.yaml': 'kind: Namespace\n',
    });
    work = await Work.clone('branch');
    src = source('branch', { branch: 'main' });
  });

  it('initial fetch reads files straight from the object store (bare, no working tree)', async () => {
    first = await work.git('rev-parse', 'HEAD');
    expect(await src.resolve()).toEqual({ commit: first, ref: 'refs/heads/main' });
    const rev = await src.fetch();
    expect(rev.commit).toBe(first);
    expect(rev.ref).toBe('refs/heads/main');
    expect(await rev.listFiles('')).toEqual(['README.md', 'apps/a/deploy.yaml', 'apps/a/svc.yaml', 'apps/b/cm.yaml', 'infra/ns.yaml']);
    expect(await rev.listFiles('./apps/')).toEqual(['apps/a/deploy.yaml', 'apps/a/svc.yaml', 'apps/b/cm.yaml']);
    expect(await rev.listFiles('nope')).toEqual([]);
    expect(new TextDecoder().decode(await rev.readFile('apps/b/cm.yaml'))).toBe('kind: ConfigMap\n');
    await expect(rev.readFile('apps/missing.yaml')).rejects.toThrow(/no file "apps\/missing.yaml"/);
    expect(await rev.readFiles('apps', (p) => p.endsWith('.yaml') && !p.includes('/b/'))).toEqual([
      { path: 'apps/a/deploy.yaml', text: 'kind: Deployment\n' },
      { path: 'apps/a/svc.yaml', text: 'kind: Service\n' },
    ]);
    expect(existsSync(join(src.gitdir, 'HEAD'))).toBe(true);
    expect(existsSync(join(src.gitdir, 'README.md'))).toBe(false);
    expect(readFileSync(join(src.gitdir, 'shallow'), 'utf8')).toContain(first);
  });

  it('a second fetch with nothing new costs one small request and downloads no pack', async () => {
    const objectsBefore = filesUnder(join(src.gitdir, 'objects'));
    const before = src.stats;
    const rev = await src.fetch();
    const after = src.stats;
    expect(rev.commit).toBe(first);
    expect(after.requests - before.requests).toBe(1);
    expect(after.fetches).toBe(before.fetches);
    expect(after.skippedFetches).toBe(before.skippedFetches + 1);
    expect(filesUnder(join(src.gitdir, 'objects'))).toEqual(objectsBefore);
    console.log(`[source] unmoved fetch: ${after.requests - before.requests} request, ${after.bytesReceived - before.bytesReceived} bytes, objects dir unchanged (${objectsBefore.size} files)`);
  });

  it('detects a new commit, downloads only the new objects, and changedFiles lists exactly the changed paths', async () => {
    const bytes0 = src.stats.bytesReceived;
    second = await work.commit({
      'apps/a/deploy.yaml': 'kind: Deployment\nspec: {}\n', // modified
      'apps/b/cm.yaml': null, // deleted
      'apps/c/new.yaml': 'kind: Secret\n', // added
      'README.md': '# demo v2\n', // modified, outside apps/
    });
    expect((await src.resolve()).commit).toBe(second);
    const rev = await src.fetch();
    expect(rev.commit).toBe(second);
    expect(await rev.listFiles('apps')).toEqual(['apps/a/deploy.yaml', 'apps/a/svc.yaml', 'apps/c/new.yaml']);
    expect(await src.changedFiles(first, second, '')).toEqual(['README.md', 'apps/a/deploy.yaml', 'apps/b/cm.yaml', 'apps/c/new.yaml']);
    expect(await src.changedFiles(first, second, 'apps')).toEqual(['apps/a/deploy.yaml', 'apps/b/cm.yaml', 'apps/c/new.yaml']);
    expect(await src.changedFiles(first, second, 'infra')).toEqual([]);
    expect(await src.changedFiles(second, second, '')).toEqual([]);
    expect(await src.changedFiles('0123456789abcdef0123456789abcdef01234567', second, '')).toBeNull();
    console.log(`[source] incremental fetch of a 4-file change: ${src.stats.bytesReceived - bytes0} bytes received`);
  });

  it('follows a force-pushed branch onto unrelated history', async () => {
    await work.git('checkout', '-q', '--orphan', 'rewrite');
    await work.git('rm', '-q', '-r', '-f', '.');
    const rewritten = await work.commit({ 'apps/a/deploy.yaml': 'kind: Deployment\nrewritten: true\n', 'other/x.yaml': 'x: 1\n' }, 'rewrite', false);
    await work.git('push', '-q', '-f', 'origin', 'rewrite:main');
    const rev = await src.fetch();
    expect(rev.commit).toBe(rewritten);
    expect(await rev.listFiles('')).toEqual(['apps/a/deploy.yaml', 'other/x.yaml']);
    expect(new TextDecoder().decode(await rev.readFile('apps/a/deploy.yaml'))).toContain('rewritten: true');
    // The old commit is still in the store, so the diff across the rewrite is known.
    expect(await src.changedFiles(second, rewritten, '')).toEqual(['README.md', 'apps/a/deploy.yaml', 'apps/a/svc.yaml', 'apps/c/new.yaml', 'infra/ns.yaml', 'other/x.yaml']);
    // Moving back to an older commit we already hold needs no download.
    await work.git('push', '-q', '-f', 'origin', `${second}:refs/heads/main`);
    const fetches = src.stats.fetches;
    expect((await src.fetch()).commit).toBe(second);
    expect(src.stats.fetches).toBe(fetches);
  });

  it('a new GitSource on the same cache dir reuses the store after a restart', async () => {
    const again = source('branch', { branch: 'main' });
    const rev = await again.fetch();
    expect(rev.commit).toBe(second);
    expect(again.stats.fetches).toBe(0);
    expect(again.stats.requests).toBe(1);
  });
});

describe('GitSource on tags, semver ranges and commits', () => {
  const commits: Record<string, string> = {};
  beforeAll(async () => {
    await createRepo(info, 'tags', { 'v.yaml': 'v: 0\n' });
    const work = await Work.clone('tags');
    for (const [tag, annotated] of [
      ['v1.0.0', false],
      ['1.2.0', true],
      ['v1.10.1', true],
      ['v1.11.0-rc.1', false],
      ['v2.0.0', false],
      ['release-9', false],
    ] as const) {
      commits[tag] = await work.commit({ 'v.yaml': `v: ${tag}\n` }, tag, false);
      await work.git('tag', ...(annotated ? ['-a', '-m', tag] : []), tag);
    }
    commits.head = await work.commit({ 'v.yaml': 'v: head\n' }, 'head', false);
    await work.git('push', '-q', 'origin', 'HEAD', '--tags');
  });

  it.each([
    [{ tag: 'v1.0.0' }, 'v1.0.0', 'refs/tags/v1.0.0'],
    [{ tag: '1.2.0' }, '1.2.0', 'refs/tags/1.2.0'], // annotated: peeled to the commit
    [{ semver: '^1.0.0' }, 'v1.10.1', 'refs/tags/v1.10.1'], // numeric, not lexical, ordering; rc excluded
    [{ semver: '>=1.11.0-rc.0 <2' }, 'v1.11.0-rc.1', 'refs/tags/v1.11.0-rc.1'], // prerelease only when asked
    [{ semver: '*' }, 'v2.0.0', 'refs/tags/v2.0.0'],
    [{ semver: '~1.2' }, '1.2.0', 'refs/tags/1.2.0'],
  ] as [GitRefSpec, string, string][])('%j → %s', async (ref, tag, fullRef) => {
    const src = source('tags', ref);
    expect(await src.resolve()).toEqual({ commit: commits[tag], ref: fullRef });
    const rev = await src.fetch();
    expect(rev.commit).toBe(commits[tag]);
    expect(new TextDecoder().decode(await rev.readFile('v.yaml'))).toBe(`v: ${tag}\n`);
  });

  it('pins a commit that is not a ref head (fetched by sha)', async () => {
    const src = source('tags', { commit: commits['v1.0.0'] as string });
    const rev = await src.fetch();
    expect(rev.commit).toBe(commits['v1.0.0']);
    expect(new TextDecoder().decode(await rev.readFile('v.yaml'))).toBe('v: v1.0.0\n');
    // Immutable: no network at all once held.
    const before = src.stats.requests;
    expect(await src.resolve()).toEqual({ commit: commits['v1.0.0'], ref: commits['v1.0.0'] });
    expect(src.stats.requests).toBe(before);
  });

  it('reports refs that do not exist as typed errors', async () => {
    const noTag = await caught(source('tags', { tag: 'v9.9.9' }).fetch());
    expect(noTag.reason).toBe('ref-not-found');
    expect(noTag.message).toContain('refs/tags/v9.9.9');
    const noMatch = await caught(source('tags', { semver: '>=3.0.0' }).resolve());
    expect(noMatch.reason).toBe('no-semver-match');
    expect(noMatch.message).toMatch(/semver >=3.0.0.*no tag among 6/);
    const noBranch = await caught(source('tags', { branch: 'nope' }).fetch());
    expect(noBranch.reason).toBe('ref-not-found');
    const noCommit = await caught(source('tags', { commit: 'deadbeef'.repeat(5) }).fetch());
    expect(noCommit.reason).toBe('ref-not-found');
    expect(() => source('tags', { semver: 'not a range!' })).toThrow(/not a valid semver range/);
  });
});

describe('GitSource errors never leak credentials', () => {
  beforeAll(async () => {
    await createRepo(info, 'private', { 'a.yaml': 'a: 1\n' });
  });

  it('wrong password → SourceError(auth) naming source, url and ref, without the password', async () => {
    const wrong = 'S3cret-wrong-pass';
    const err = await caught(source('private', { branch: 'main' }, { auth: async () => ({ username: info.username, password: wrong }) }).fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('src-private');
    expect(err.message).toContain(`${info.url}private.git`);
    expect(err.message).toContain('branch main');
    expect(err.message).toMatch(/401/);
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)} ${inspect(err, { depth: 10, showHidden: true })}`).not.toContain(wrong);
    // Credentials in the URL: stripped from every message.
    const inUrl = new URL(`${info.url}private.git`);
    inUrl.username = 'seal';
    inUrl.password = wrong;
    const err2 = await caught(new GitSource({ name: 'u', url: inUrl.toString(), ref: { branch: 'main' } }, join(tmp, 'cache')).resolve());
    expect(err2.reason).toBe('auth');
    expect(`${err2.message} ${err2.stack} ${JSON.stringify(err2)} ${inspect(err2, { depth: 10, showHidden: true })}`).not.toContain(wrong);
    // ... and they do work when right.
    inUrl.password = info.password;
    expect((await new GitSource({ name: 'u2', url: inUrl.toString(), ref: { branch: 'main' } }, join(tmp, 'cache')).fetch()).commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('no credentials → SourceError(auth) saying none are configured', async () => {
    const err = await caught(new GitSource({ name: 'anon', url: `${info.url}private.git`, ref: { branch: 'main' } }, join(tmp, 'cache')).fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('none are configured');
  });

  it('a failing credentials provider → SourceError(auth) before any request', async () => {
    const src = source('private', { branch: 'main' }, {
      auth: async () => {
        throw new Error('vault sealed\nsecret=should-not-appear');
      },
    });
    const err = await caught(src.fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('credentials provider failed: vault sealed');
    expect(err.message).not.toContain('should-not-appear');
    expect(src.stats.requests).toBe(0);
  });

  it('missing repository → SourceError(not-found)', async () => {
    const err = await caught(source('does-not-exist', { branch: 'main' }).fetch());
    expect(err.reason).toBe('not-found');
    expect(err.message).toMatch(/404/);
  });

  it('connection refused → SourceError(network)', async () => {
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const err = await caught(new GitSource({ name: 'down', url: `http://127.0.0.1:${port}/x.git`, ref: { branch: 'main' } }, join(tmp, 'cache')).fetch());
    expect(err.reason).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a server that accepts and never answers → SourceError(network) after the idle timeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    const hang = createServer((s) => void sockets.push(s));
    await new Promise<void>((ok) => hang.listen(0, '127.0.0.1', ok));
    const port = (hang.address() as { port: number }).port;
    try {
      const t0 = performance.now();
      const err = await caught(new GitSource({ name: 'hang', url: `http://127.0.0.1:${port}/x.git`, ref: { branch: 'main' } }, join(tmp, 'cache'), { idleTimeoutMs: 500 }).resolve());
      expect(err.reason).toBe('network');
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => hang.close(ok));
    }
  });
});

describe('GitSource with commit signature verification', () => {
  let work: Work;
  let signers: string;
  let key: string;

  beforeAll(async () => {
    await createRepo(info, 'signed', { 'a.yaml': 'a: 0\n' });
    work = await Work.clone('signed');
    key = join(tmp, 'id_signer');
    await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', key]);
    signers = join(tmp, 'allowed_signers');
    const [type, b64] = readFileSync(`${key}.pub`, 'utf8').split(' ');
    writeFileSync(signers, `dev@example.com ${type} ${b64}\n`);
  });

  it('accepts a commit signed by an allowed signer and rejects an unsigned one', async () => {
    const src = source('signed', { branch: 'main' }, { verify: { allowedSignersFile: signers } });
    await work.git('config', 'gpg.format', 'ssh');
    await work.git('config', 'user.signingkey', key);
    const signed = await work.commit({ 'a.yaml': 'a: 1\n' }, 'signed');
    await work.git('commit', '-q', '-S', '--amend', '--no-edit');
    await work.git('push', '-q', '-f', 'origin', 'HEAD');
    const signedSha = await work.git('rev-parse', 'HEAD');
    expect(signedSha).not.toBe(signed);
    expect((await src.fetch()).commit).toBe(signedSha);
    expect(src.lastVerifiedSignature?.principals).toEqual(['dev@example.com']);

    await work.git('config', 'commit.gpgsign', 'false');
    const unsigned = await work.commit({ 'a.yaml': 'a: 2\n' }, 'unsigned');
    const err = await caught(src.fetch());
    expect(err.reason).toBe('signature');
    expect(err.message).toContain(unsigned);
    expect(err.message).toContain('not signed');
  });
});

describe('GitSource at scale', () => {
  it('fetches a repo with 1,000 manifest files; resolve() on an unmoved head is one small request', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) {
      files[`apps/team-${i % 20}/app-${i}/deploy.yaml`] = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: team-${i % 20}\nspec:\n  replicas: ${(i % 3) + 1}\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app-${i}:1.0.${i}\n`;
    }
    await createRepo(info, 'big', files);
    const src = source('big', { branch: 'main' });
    // CPU time is reported beside wall time: on a loaded CI box wall time mostly measures the queue.
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const rev = await src.fetch();
    const fetchMs = performance.now() - t0;
    const fetchCpu = process.cpuUsage(c0);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const all = await rev.readFiles('', (p) => p.endsWith('.yaml'));
    const readMs = performance.now() - t1;
    const readCpu = process.cpuUsage(c1);
    const cpuMs = (u: NodeJS.CpuUsage): string => ((u.user + u.system) / 1000).toFixed(0);
    expect(all).toHaveLength(1000);
    expect(all.find((f) => f.path === 'apps/team-7/app-7/deploy.yaml')?.text).toContain('name: app-7');
    const samples: number[] = [];
    const req0 = src.stats.requests;
    const bytes0 = src.stats.bytesReceived;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await src.resolve();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const perResolve = (src.stats.bytesReceived - bytes0) / 20;
    expect(src.stats.requests - req0).toBe(20);
    console.log(
      `[source] 1,000 manifests: fetch ${fetchMs.toFixed(0)} ms wall / ${cpuMs(fetchCpu)} ms CPU (${(bytes0 / 1024).toFixed(0)} KiB received), ` +
        `readFiles ${readMs.toFixed(0)} ms wall / ${cpuMs(readCpu)} ms CPU; ` +
        `resolve() unmoved: median ${samples[10]?.toFixed(1)} ms, p95 ${samples[18]?.toFixed(1)} ms, 1 request / ${perResolve.toFixed(0)} bytes each`,
    );
  });
});
