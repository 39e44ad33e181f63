import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCRATCH_PREFIX, ScratchPathError, scratchPath, scratchRoot, sweepScratch, withScratch, writeScratchFile } from './scratch.js';

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
