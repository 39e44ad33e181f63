// Our fetch against the real git server (git http-backend; the shared stack's when there is
// one): thin packs are asked for once we offer a "have", completed before they are stored, and a
// thin pack that cannot be completed within the bounds is fetched again without thin-pack.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git, { type HttpClient } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import type { GitInfo } from '../../test/stack/types.js';
import { sharedOrOwnGitServer, type TestGitServer } from '../../test/support/git-server.js';
import type { ObjectStore } from './object-io.js';
import { HttpTransport } from './http-transport.js';
import { openStore, prepareStore, setRef } from './store.js';
import { fetchPack, type UploadPackResult } from './upload-pack.js';

const run = promisify(execFile);
const REPO = `thin-${Math.random().toString(36).slice(2, 8)}`;
let info: GitInfo;
let server: TestGitServer | undefined;
let tmp = '';
let work = '';
let store: ObjectStore;

beforeAll(async () => {
  server = await sharedOrOwnGitServer();
  info = server.info;
  tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-thin-'));
  await createRepo(info, REPO, { 'a.yaml': text('start'), 'b.yaml': 'kind: ConfigMap\n' });
  work = join(tmp, 'work');
  await run('git', ['clone', '-q', authedUrl(info, REPO), work]);
  store = await prepareStore(openStore(join(tmp, 'store.git')), { remoteUrl: `${info.url}${REPO}.git`, defaultBranch: 'main' });
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await server?.stop();
});

const text = (change: string): string =>
  Array.from({ length: 300 }, (_, i) => `line ${i}: ${i === 150 ? change : 'x'.repeat(40)}\n`).join('');

async function push(content: string): Promise<void> {
  writeFileSync(join(work, 'a.yaml'), content);
  const g = (...args: string[]) => run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args]);
  await g('commit', '-qam', 'change');
  await g('push', '-q', 'origin', 'HEAD:main');
}

/** One shallow fetch of main as GitSource makes it; POSTs counted; the local ref moved to what came. */
async function fetchMain(fixThin?: { maxDepth: number }): Promise<{ res: UploadPackResult; posts: number }> {
  let posts = 0;
  const counting: HttpClient = {
    request: (req) => {
      if (req.method === 'POST') posts++;
      return http.request(req);
    },
  };
  const res = await fetchPack({
    http: counting,
    url: `${info.url}${REPO}.git`,
    headers: { authorization: `Basic ${Buffer.from(`${info.username}:${info.password}`).toString('base64')}` },
    store,
    remoteRef: 'refs/heads/main',
    haveRef: 'refs/heads/main',
    depth: 1,
    ...(fixThin !== undefined ? { fixThin } : {}),
  });
  await setRef(store, 'refs/heads/main', res.fetchHead as string);
  return { res, posts };
}

const readA = async (): Promise<string> => {
  const { blob } = await git.readBlob({
    fs: store.fs,
    gitdir: store.gitdir,
    cache: {},
    oid: (await run('git', ['-C', work, 'rev-parse', 'HEAD'])).stdout.trim(),
    filepath: 'a.yaml',
  });
  return Buffer.from(blob).toString('utf8');
};
const packs = (): number => readdirSync(join(store.gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length;

describe('fetchPack and thin packs', () => {
  it('asks for a thin pack only with a "have", completes it, and falls back to a whole pack when it cannot', async () => {
    // Nothing to offer: nothing for the server to be thin against.
    expect((await fetchMain()).res.pack).toBe('whole');
    expect(await readA()).toBe(text('start'));

    await push(text('one'));
    const thin = await fetchMain();
    expect(thin).toMatchObject({ posts: 1, res: { pack: 'fixed' } });
    expect(await readA()).toBe(text('one'));

    // A bound no thin pack can meet (its deltas on our objects are at least one deep): it is
    // refused before anything is stored, and the same fetch asks again without thin-pack.
    await push(text('two'));
    const before = packs();
    const fallback = await fetchMain({ maxDepth: 0 });
    expect(fallback).toMatchObject({ posts: 2, res: { pack: 'fallback', thinError: { name: 'ThinPackError', reason: 'too-deep' } } });
    // Named: a pack entry, or the base in the store whose own chain is already too long.
    expect(fallback.res.thinError?.message).toMatch(
      /^thin pack: too-deep: ([0-9a-f]{40}|the delta at offset \d+ of the fetched pack): delta chain longer than 0/,
    );
    expect(packs()).toBe(before + 1);
    expect(await readA()).toBe(text('two'));

    // Back to an earlier state: the server resends what we hold; only the new commit is stored.
    await push(text('one'));
    expect(await fetchMain()).toMatchObject({ posts: 1, res: { pack: 'fixed' } });
    expect(await readA()).toBe(text('one'));
    expect(readdirSync(join(store.gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('counts a fallback in the transport stats a source and its metric report', async () => {
    // The daemon's own path: the HTTP transport over the same remote, with a bound no thin pack meets.
    const transport = new HttpTransport(authedUrl(info, REPO), { fixThin: { maxDepth: 0 } });
    await fetchMain();
    await push(text('three'));
    const want = (await run('git', ['-C', work, 'rev-parse', 'HEAD'])).stdout.trim();
    const res = await transport.fetch({ store, haveRef: 'refs/heads/main', remoteRef: 'refs/heads/main', depth: 1 });
    expect(res).toEqual({ fetchHead: want });
    expect(transport.stats.thinPackFallbacks).toBe(1);
    await setRef(store, 'refs/heads/main', want);
    expect(await readA()).toBe(text('three'));
    // Each fallback counts: the next commit falls back too under this bound.
    await push(text('four'));
    await transport.fetch({ store, haveRef: 'refs/heads/main', remoteRef: 'refs/heads/main', depth: 1 });
    expect(transport.stats.thinPackFallbacks).toBe(2);
  });
});
