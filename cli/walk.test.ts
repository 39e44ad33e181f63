import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { collectFiles } from './walk.js';

describe('collectFiles', () => {
  let dir: string;
  const r = (p: string): string => resolve(dir, p);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitops-seal-walk-'));
    for (const d of ['a/b', 'node_modules/m', '.git/objects', 'c']) await mkdir(join(dir, d), { recursive: true });
    for (const f of [
      'a/x.yaml',
      'a/b/y.YML',
      'a/b/z.json',
      'a/readme.md',
      'node_modules/m/s.yaml',
      '.git/objects/o.yaml',
      'c/.hidden.yaml',
    ]) {
      await writeFile(join(dir, f), '');
    }
    await symlink(dir, join(dir, 'c/loop')); // must not be followed
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds YAML/JSON, skips node_modules, .git and symlinked dirs, sorted', async () => {
    expect(await collectFiles(['.'], r)).toEqual(['a/b/y.YML', 'a/b/z.json', 'a/x.yaml', 'c/.hidden.yaml']);
  });

  it('keeps explicit files only with a checked extension and dedupes', async () => {
    expect(await collectFiles(['a/readme.md', 'a/x.yaml', 'a'], r)).toEqual(['a/b/y.YML', 'a/b/z.json', 'a/x.yaml']);
  });

  it('reports a missing path as an input error', async () => {
    await expect(collectFiles(['nope'], r)).rejects.toBeInstanceOf(InputError);
  });
});
