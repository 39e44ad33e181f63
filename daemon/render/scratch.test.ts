import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SCRATCH_PREFIX,
  ScratchPathError,
  scratchPath,
  scratchRoot,
  sweepScratch,
  withScratch,
  writeScratchFile,
  writeScratchFiles,
} from './scratch.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'render-scratch-root-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scratch', () => {
  it('is 0700, under the root, and removed after success', async () => {
    let seen = '';
    const r = await withScratch(async (dir) => {
      seen = dir;
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      await writeScratchFile(dir, 'apps/base/kustomization.yaml', Buffer.from('resources: []\n'));
      expect(statSync(join(dir, 'apps/base/kustomization.yaml')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'apps')).mode & 0o777).toBe(0o700);
      return 42;
    }, root);
    expect(r).toBe(42);
    expect(seen.startsWith(join(root, SCRATCH_PREFIX))).toBe(true);
    expect(existsSync(seen)).toBe(false);
  });

  it('is removed after an error', async () => {
    let seen = '';
    await expect(
      withScratch(async (dir) => {
        seen = dir;
        await writeScratchFile(dir, 'a.yaml', Buffer.from('x'));
        throw new Error('render failed');
      }, root),
    ).rejects.toThrow('render failed');
    expect(existsSync(seen)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses paths that leave the dir', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '']) expect(() => scratchPath('/s', bad)).toThrow(ScratchPathError);
    expect(scratchPath('/s', 'apps/base/x.yaml')).toBe('/s/apps/base/x.yaml');
  });

  it('prefers /dev/shm, honours the override', () => {
    expect(scratchRoot({ GITOPS_SEAL_RENDER_DIR: root })).toBe(root);
    expect(scratchRoot({})).toBe(existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  });

  it('sweeps only dead processes’ leftovers', () => {
    const dead = join(root, `${SCRATCH_PREFIX}999999999-abc`);
    const mine = join(root, `${SCRATCH_PREFIX}${process.pid}-abc`);
    const other = join(root, 'unrelated');
    for (const d of [dead, mine, other]) mkdirSync(d);
    expect(sweepScratch(root)).toEqual([`${SCRATCH_PREFIX}999999999-abc`]);
    expect(existsSync(mine) && existsSync(other)).toBe(true);
  });
});

describe('writeScratchFiles', () => {
  it('lays out many files with 0700 dirs and 0600 files, refusing escapes', async () => {
    await withScratch(async (dir) => {
      const files = new Map<string, Uint8Array>(
        Array.from({ length: 40 }, (_, i) => [`apps/d${i % 3}/f${i}.yaml`, Buffer.from(`n: ${i}\n`)]),
      );
      await writeScratchFiles(dir, files);
      expect(readdirSync(join(dir, 'apps')).sort()).toEqual(['d0', 'd1', 'd2']);
      expect(statSync(join(dir, 'apps/d1/f1.yaml')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'apps/d1')).mode & 0o777).toBe(0o700);
      await expect(writeScratchFiles(dir, new Map([['../x', Buffer.from('x')]]))).rejects.toThrow(ScratchPathError);
    }, root);
  });
});

describe('withScratch through a symlinked root', () => {
  it('hands out the canonical path (FIFO hand-off compares it with /proc fd links)', async () => {
    const real = join(root, 'real');
    mkdirSync(real);
    symlinkSync(real, join(root, 'link'));
    await withScratch(
      async (dir) => {
        expect(dir.startsWith(join(real, SCRATCH_PREFIX))).toBe(true);
      },
      join(root, 'link'),
    );
    expect(readdirSync(real)).toEqual([]);
  });
});
