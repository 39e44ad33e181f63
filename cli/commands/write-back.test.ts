// Commands that replace a file in place (issue 13 items 5 and 6): they write through symlinks,
// and `edit` never loses an edit when the file's directory refuses the temp file.
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAVED_EDIT_PREFIX } from '../edit-save.js';
import { ExitCode } from '../errors.js';
import { leftoverEditTemps, sandbox, type Sandbox, useSandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-writeback-51c2';

/** An $EDITOR script running `body` on "$1". */
async function editor(sb: Sandbox, name: string, body: string): Promise<string> {
  const p = join(sb.dir, name);
  await writeFile(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

/**
 * Make `dir` refuse new entries while its files stay writable: chmod for a normal user; root
 * ignores modes, so there the directory is made immutable (chattr +i), which root obeys.
 */
function lockDir(dir: string): () => Promise<void> {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', dir]);
    return async () => void execFileSync('chattr', ['-i', dir]);
  }
  execFileSync('chmod', ['0555', dir]);
  return () => chmod(dir, 0o755);
}

describe('write-back through symlinks', () => {
  const sb = useSandbox(async (sb) => {
    await mkdir(join(sb.dir, 'real'));
    await writeFile(join(sb.dir, 'real', 'app.yaml'), `user: admin\npassword: ${CANARY}\n`, { mode: 0o640 });
    await symlink('real/app.yaml', join(sb.dir, 'link.yaml'));
  });

  async function expectLinkIntact(): Promise<string> {
    expect((await lstat(join(sb.dir, 'link.yaml'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(sb.dir, 'link.yaml'))).toBe('real/app.yaml');
    expect((await readdir(join(sb.dir, 'real'))).sort()).toEqual(['app.yaml']);
    const target = await readFile(join(sb.dir, 'real', 'app.yaml'), 'utf8');
    expect(target).not.toContain(CANARY);
    expect(target).toContain('sops:');
    return target;
  }

  it('encrypt -i, rotate, updatekeys and edit replace the target and keep the link', async () => {
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'link.yaml'])).code).toBe(0);
    const encrypted = await expectLinkIntact();
    expect((await lstat(join(sb.dir, 'real', 'app.yaml'))).mode & 0o777).toBe(0o640);

    expect((await sb.run(['rotate', 'link.yaml'])).code).toBe(0);
    const rotated = await expectLinkIntact();
    expect(rotated).not.toBe(encrypted);

    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    expect((await sb.run(['updatekeys', 'link.yaml'])).code).toBe(0);

    const ed = await editor(sb, 'ed.sh', `sed -i 's/admin/root/' "$1"`);
    expect((await sb.run(['edit', 'link.yaml'], { ...sb.env, EDITOR: ed })).code).toBe(0);
    await expectLinkIntact();
    expect((await sb.run(['decrypt', 'link.yaml'])).out).toContain('user: root');
  });

  it('decrypt -o through a dangling link creates the link target (0600)', async () => {
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'link.yaml'])).code).toBe(0);
    await symlink('real/plain.yaml', join(sb.dir, 'out.yaml'));
    expect((await sb.run(['decrypt', 'link.yaml', '-o', 'out.yaml'])).code).toBe(0);
    expect((await lstat(join(sb.dir, 'out.yaml'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(sb.dir, 'real', 'plain.yaml'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(sb.dir, 'real', 'plain.yaml'), 'utf8')).toContain(CANARY);
  });
});

describe('edit never loses an edit', () => {
  let sb: Sandbox;
  let unlock: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    sb = await sandbox();
    await mkdir(join(sb.dir, 'locked'));
    await writeFile(join(sb.dir, 'locked', 'app.yaml'), `user: admin\npassword: ${CANARY}\n`);
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'locked/app.yaml'])).code).toBe(0);
  });
  afterEach(async () => {
    await unlock?.();
    unlock = undefined;
    await sb.cleanup();
  });

  it('writes in place when the directory refuses the temp file, and says so', async () => {
    unlock = lockDir(join(sb.dir, 'locked'));
    const ed = await editor(sb, 'ed.sh', `sed -i 's/admin/root/' "$1"`);
    const r = await sb.run(['edit', 'locked/app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^gitops-seal: locked\/app\.yaml: could not replace the file atomically \(.*\); wrote it in place instead\n$/);
    await unlock();
    unlock = undefined;
    const dec = await sb.run(['decrypt', 'locked/app.yaml']);
    expect(dec.out).toContain('user: root');
    expect(dec.out).toContain(CANARY);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('keeps the edit, encrypted, and says where when the file cannot be written at all', async () => {
    const file = join(sb.dir, 'locked', 'app.yaml');
    // The editor makes the file itself unwritable (as a concurrent `chattr`/`chmod` would).
    const lock = process.getuid?.() === 0 ? `chattr +i "${file}"` : `chmod 0444 "${file}"; chmod 0555 "${join(sb.dir, 'locked')}"`;
    const ed = await editor(sb, 'ed.sh', `sed -i 's/admin/root/' "$1"; ${lock}`);
    unlock = async () => {
      if (process.getuid?.() === 0) execFileSync('chattr', ['-i', file]);
      else await chmod(join(sb.dir, 'locked'), 0o755);
    };
    const before = await readFile(file, 'utf8');
    const r = await sb.run(['edit', 'locked/app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r.code).toBe(ExitCode.IO);
    const m = /your edit is kept, encrypted, in (\S+): copy it over locked\/app\.yaml/.exec(r.err);
    expect(m, r.err).not.toBeNull();
    const saved = (m as RegExpExecArray)[1] as string;
    expect(saved.startsWith(join(tmpdir(), SAVED_EDIT_PREFIX))).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(before);
    const kept = await readFile(saved, 'utf8');
    expect(kept).not.toContain(CANARY);
    expect((await lstat(saved)).mode & 0o777).toBe(0o600);
    await writeFile(join(sb.dir, 'kept.yaml'), kept);
    expect((await sb.run(['decrypt', 'kept.yaml'])).out).toContain('user: root');
    await rm(join(saved, '..'), { recursive: true, force: true });
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('says "edit discarded" when invalid YAML comes back and there is no terminal to ask on', async () => {
    const ed = await editor(sb, 'bad.sh', `echo 'broken: [' >> "$1"`);
    const r = await sb.run(['edit', 'locked/app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err).toMatch(/^gitops-seal: locked\/app\.yaml: .*invalid YAML.*; edit discarded\n$/);
  });
});
