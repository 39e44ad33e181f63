import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeFs } from './store-fs.js';

let gitdir: string;
beforeEach(() => {
  gitdir = mkdtempSync(join(tmpdir(), 'storefs-'));
  mkdirSync(join(gitdir, 'objects', 'pack'), { recursive: true });
});
afterEach(() => rmSync(gitdir, { recursive: true, force: true }));

describe('storeFs caches', () => {
  it('sees packs written through it, and only then (cached listing between writes)', async () => {
    const f = storeFs(gitdir);
    expect(await f.promises.readdir(join(gitdir, 'objects', 'pack'))).toEqual([]);
    // Written behind its back: still cached (the store is only written through this fs).
    writeFileSync(join(gitdir, 'objects', 'pack', 'a.idx'), '');
    expect(await f.promises.readdir(join(gitdir, 'objects', 'pack'))).toEqual([]);
    await f.promises.writeFile(join(gitdir, 'objects', 'pack', 'b.idx'), '');
    expect((await f.promises.readdir(join(gitdir, 'objects', 'pack'))).sort()).toEqual(['a.idx', 'b.idx']);
  });

  it('answers loose-object misses without touching the disk, but finds loose objects that exist', async () => {
    const f = storeFs(gitdir);
    const loose = join(gitdir, 'objects', 'ab', 'c'.repeat(38));
    await expect(f.promises.readFile(loose)).rejects.toMatchObject({ code: 'ENOENT' });
    await f.promises.mkdir(join(gitdir, 'objects', 'ab'));
    await f.promises.writeFile(loose, 'x');
    expect((await f.promises.readFile(loose)).toString()).toBe('x');
    // Non-object paths pass straight through.
    writeFileSync(join(gitdir, 'HEAD'), 'ref: refs/heads/main\n');
    expect(await f.promises.readFile(join(gitdir, 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });
});
