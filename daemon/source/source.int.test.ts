// GitSource against the real git smart-HTTP server (git http-backend behind basic auth):
// fetch/skip, new commits and diffs, force-push, store upkeep, tag/semver/commit pins.
// Commits are made and pushed with the git CLI, exactly as a user would.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { GitSource } from './git-source.js';
import { caught, ctx, filesUnder, run, source, useGitServer, Work } from '../../test/support/git-source-fixture.js';
import type { GitRefSpec } from './types.js';

useGitServer();

describe('GitSource on a branch', () => {
  let work: Work;
  let src: GitSource;
  let first: string;
  let second: string;

  beforeAll(async () => {
    await createRepo(ctx.info, 'branch', {
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
    console.log(
      `[source] unmoved fetch: ${after.requests - before.requests} request, ${after.bytesReceived - before.bytesReceived} bytes, objects dir unchanged (${objectsBefore.size} files)`,
    );
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
    const rewritten = await work.commit(
      { 'apps/a/deploy.yaml': 'kind: Deployment\nrewritten: true\n', 'other/x.yaml': 'x: 1\n' },
      'rewrite',
      false,
    );
    await work.git('push', '-q', '-f', 'origin', 'rewrite:main');
    const rev = await src.fetch();
    expect(rev.commit).toBe(rewritten);
    expect(await rev.listFiles('')).toEqual(['apps/a/deploy.yaml', 'other/x.yaml']);
    expect(new TextDecoder().decode(await rev.readFile('apps/a/deploy.yaml'))).toContain('rewritten: true');
    // The old commit is still in the store, so the diff across the rewrite is known.
    expect(await src.changedFiles(second, rewritten, '')).toEqual([
      'README.md',
      'apps/a/deploy.yaml',
      'apps/a/svc.yaml',
      'apps/c/new.yaml',
      'infra/ns.yaml',
      'other/x.yaml',
    ]);
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

  it("a webhook's head is fetched alongside the advertisement: two requests, only what changed; a stale or bogus hint changes nothing", async () => {
    await work.git('checkout', '-q', '-B', 'main', second); // the force-push test left the clone on its orphan branch
    const third = await work.commit({ 'apps/b/cm.yaml': 'kind: ConfigMap\ndata: {}\n' });
    const before = src.stats;
    const rev = await src.fetch({ hint: { ref: 'refs/heads/main', commit: third } });
    expect(rev.commit).toBe(third);
    // The advertisement and the POST of the hinted want, at the same time; no second advertisement.
    expect(src.stats.requests - before.requests).toBe(2);
    expect(src.stats.fetches - before.fetches).toBe(1);
    // thin-pack: one changed blob, its tree, the root tree and the commit (not every blob of the tree).
    expect(src.stats.bytesReceived - before.bytesReceived).toBeLessThan(1500);
    expect(new TextDecoder().decode(await rev.readFile('apps/b/cm.yaml'))).toBe('kind: ConfigMap\ndata: {}\n');

    // The branch moved on after the webhook: the advertisement wins, the hinted commit is only extra objects.
    const fourth = await work.commit({ 'infra/ns.yaml': 'kind: Namespace\nx: 1\n' });
    const fifth = await work.commit({ 'infra/ns.yaml': 'kind: Namespace\nx: 2\n' });
    expect((await src.fetch({ hint: { ref: 'refs/heads/main', commit: fourth } })).commit).toBe(fifth);
    // A sha the server does not have, and a hint for another branch: the ordinary fetch.
    const sixth = await work.commit({ 'infra/ns.yaml': 'kind: Namespace\nx: 3\n' });
    expect((await src.fetch({ hint: { ref: 'refs/heads/main', commit: 'f'.repeat(40) } })).commit).toBe(sixth);
    const seventh = await work.commit({ 'infra/ns.yaml': 'kind: Namespace\nx: 4\n' });
    expect((await src.fetch({ hint: { ref: 'refs/heads/other', commit: seventh } })).commit).toBe(seventh);
    expect(await src.changedFiles(sixth, seventh, '')).toEqual(['infra/ns.yaml']);
  });
});

describe('GitSource: a tree that returns to an earlier state', () => {
  // Found by the canary suite: good → add a file → remove it again, each fetched shallowly on
  // its own. The last tree equals the first; a server that cannot know we hold it (our history is
  // shallow) may send it as a delta on the middle tree, which we may hold as a delta on the first:
  // reading it must still end (a delta cycle across packs exhausted the heap).
  it('reads every revision, including the one equal to an earlier tree', async () => {
    await createRepo(ctx.info, 'roundtrip', {
      'apps/secret.yaml': 'kind: Secret\n' + 'data: x\n'.repeat(50),
      'apps/deploy.yaml': 'kind: Deployment\n' + 'spec: y\n'.repeat(50),
    });
    const w = await Work.clone('roundtrip');
    const s = source('roundtrip', { branch: 'main' });
    const good = await s.fetch();
    const files0 = await good.readFiles('apps', () => true);
    // Thin packs are asked for; a pack that could not be completed would be fetched again
    // without them — a third request. Two per fetch: every thin pack here was completed.
    const fetch = async (): ReturnType<typeof s.fetch> => {
      const before = s.stats.requests;
      const rev = await s.fetch();
      expect(s.stats.requests - before).toBe(2);
      return rev;
    };
    for (let round = 0; round < 3; round++) {
      // A tampered file and an added one, then both undone (as the canary suite does).
      const tampered = files0[1]!.text.replace('data: x\n', `data: tampered-${round}\n`);
      await w.commit({ 'apps/secret.yaml': tampered }, `tamper ${round}`);
      expect(new TextDecoder().decode(await (await fetch()).readFile('apps/secret.yaml'))).toBe(tampered);
      await w.commit(
        { 'apps/secret.yaml': files0[1]!.text, 'apps/pin.yaml': `kind: Secret\npin: ${round}\n` + 'data: x\n'.repeat(50) },
        `add ${round}`,
      );
      const added = await fetch();
      expect(await added.listFiles('apps')).toEqual(['apps/deploy.yaml', 'apps/pin.yaml', 'apps/secret.yaml']);
      await w.commit({ 'apps/pin.yaml': null }, `back ${round}`);
      const back = await fetch();
      expect(await back.readFiles('apps', () => true)).toEqual(files0);
    }
    // Whatever order isomorphic-git looks through the packs in, none can send it into another:
    // real git's verify-pack refuses a pack with a delta on an object outside it.
    const packDir = join(s.gitdir, 'objects', 'pack');
    const idxs = readdirSync(packDir).filter((f) => f.endsWith('.idx'));
    expect(idxs.length).toBeGreaterThan(5);
    for (const idx of idxs) await run('git', ['verify-pack', join(packDir, idx)]);
  }, 60_000);
});

describe('GitSource store upkeep', () => {
  it('rebuilds the store once it holds maxPacks packs; diffs across the rebuild are unknown (null)', async () => {
    await createRepo(ctx.info, 'packs', { 'a.yaml': 'a: 0\n' });
    const work = await Work.clone('packs');
    const src = new GitSource(
      {
        name: 'packs',
        url: `${ctx.info.url}packs.git`,
        ref: { branch: 'main' },
        auth: async () => ({ username: ctx.info.username, password: ctx.info.password }),
      },
      join(ctx.tmp, 'cache'),
      { maxPacks: 3 },
    );
    const packs = (): number => readdirSync(join(src.gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length;
    const seen: string[] = [(await src.fetch()).commit];
    const counts = [packs()];
    for (let i = 1; i <= 4; i++) {
      await work.commit({ 'a.yaml': `a: ${i}\n` });
      const rev = await src.fetch();
      seen.push(rev.commit);
      counts.push(packs());
      expect(new TextDecoder().decode(await rev.readFile('a.yaml'))).toBe(`a: ${i}\n`);
    }
    expect(counts).toEqual([1, 2, 3, 1, 2]);
    expect(await src.changedFiles(seen[3] as string, seen[4] as string, '')).toEqual(['a.yaml']);
    expect(await src.changedFiles(seen[1] as string, seen[4] as string, '')).toBeNull();
  });
});

describe('GitSource on tags, semver ranges and commits', () => {
  const commits: Record<string, string> = {};
  beforeAll(async () => {
    await createRepo(ctx.info, 'tags', { 'v.yaml': 'v: 0\n' });
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
