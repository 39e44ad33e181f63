// A remote whose HEAD names a branch that does not exist (a repo created with one default branch
// and pushed with another, or whose default branch was deleted) is fetched like any other: a
// configured branch, tag, semver range or commit never depends on the remote HEAD. Flux fetches
// such repos; git http-backend then advertises no HEAD at all.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { ctx, source, useGitServer, Work } from '../../test/support/git-source-fixture.js';
import type { GitRefSpec } from './types.js';

useGitServer();

describe('GitSource with a dangling remote HEAD', () => {
  let first: string;
  let tagged: string;

  beforeAll(async () => {
    await createRepo(ctx.info, 'dangling-head', { 'a.yaml': 'a: 1\n' });
    const work = await Work.clone('dangling-head');
    first = await work.git('rev-parse', 'HEAD');
    tagged = await work.commit({ 'a.yaml': 'a: 2\n' }, 'release');
    await work.git('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    await work.git('push', '-q', 'origin', 'v1.2.0');
    await work.commit({ 'a.yaml': 'a: 3\n' }, 'later');
    execFileSync('git', ['-C', join(ctx.info.reposDir, 'dangling-head.git'), 'symbolic-ref', 'HEAD', 'refs/heads/does-not-exist']);
  });

  const cases: [string, () => GitRefSpec, () => string][] = [
    ['branch', () => ({ branch: 'main' }), () => ''],
    ['tag', () => ({ tag: 'v1.2.0' }), () => tagged],
    ['semver', () => ({ semver: '^1.0.0' }), () => tagged],
    ['commit', () => ({ commit: first }), () => first],
  ];
  for (const [kind, ref, want] of cases) {
    it(`fetches by ${kind}`, async () => {
      const src = source('dangling-head', ref(), { name: `dangling-${kind}` });
      const rev = await src.fetch();
      if (want() !== '') expect(rev.commit).toBe(want());
      expect(new TextDecoder().decode(await rev.readFile('a.yaml'))).toMatch(/^a: \d\n$/);
      // A second poll with nothing new downloads nothing.
      const before = src.stats.fetches;
      await src.fetch();
      expect(src.stats.fetches).toBe(before);
    });
  }
});
