import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from './atomic-write.js';

describe('atomicWrite', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitops-seal-aw-'));
  });
  afterEach(async () => {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces content and keeps the existing mode', async () => {
    const f = join(dir, 'a.yaml');
    await writeFile(f, 'old');
    await chmod(f, 0o640);
    await atomicWrite(f, 'new');
    expect(await readFile(f, 'utf8')).toBe('new');
    expect((await stat(f)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['a.yaml']);
  });

  it('creates new files with the given mode, and forceMode overrides an existing mode', async () => {
    const f = join(dir, 'b.yaml');
    await atomicWrite(f, 'x', { mode: 0o600 });
    expect((await stat(f)).mode & 0o777).toBe(0o600);
    await chmod(f, 0o644);
    await atomicWrite(f, 'y', { mode: 0o600, forceMode: true });
    expect((await stat(f)).mode & 0o777).toBe(0o600);
  });

  it('refuses to replace in exclusive mode', async () => {
    const f = join(dir, 'c');
    await writeFile(f, 'keep');
    await expect(atomicWrite(f, 'new', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(f, 'utf8')).toBe('keep');
  });

  it('leaves the original and no temp file behind when the write fails', async () => {
    const f = join(dir, 'd.yaml');
    await writeFile(f, 'original');
    // A content type writeFile rejects makes the write fail after the temp file was created.
    await expect(atomicWrite(f, 42 as unknown as string)).rejects.toThrow();
    expect(await readFile(f, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['d.yaml']);
  });

  it('fails when the target is a directory, leaving it and no temp file', async () => {
    const sub = join(dir, 'sub');
    await writeFile(join(dir, 'x'), '');
    await import('node:fs/promises').then((m) => m.mkdir(sub));
    await expect(atomicWrite(sub, 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['sub', 'x']);
  });
});
