// The canary sweep must find what it claims to find: a canary at any offset of a base64 blob,
// hex, inside a zlib-compressed file, and inside loose and packed objects of a git store written
// by git or by isomorphic-git (the daemon's stores). Otherwise "0 hits" would prove nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { afterAll, describe, expect, it } from 'vitest';
import { base64Core, canaryForms, CanarySweep, findGitStores, makeCanary } from './canary.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gitops-seal-canary-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('canary forms', () => {
  it('makeCanary is unique and YAML-safe', () => {
    const a = makeCanary('Vault Transit');
    expect(a).toMatch(/^canary-vault-transit-[0-9a-f]{24}$/);
    expect(makeCanary('x')).not.toBe(makeCanary('x'));
  });

  it('finds a canary embedded at every offset of a base64 (std and url-safe) blob', () => {
    const c = makeCanary('b64');
    const sweep = new CanarySweep([c]);
    for (let pre = 0; pre < 7; pre++) {
      for (let post = 0; post < 4; post++) {
        const blob = Buffer.concat([randomBytes(pre), Buffer.from(c), randomBytes(post)]);
        for (const enc of ['base64', 'base64url'] as const) {
          const hits = sweep.scan(`pre=${pre} post=${post} ${enc}`, `x ${blob.toString(enc)} y`);
          // A url-safe form identical to the standard one is searched (and reported) once, as b64@k.
          const want = [`b64@${pre % 3}`, ...(enc === 'base64url' ? [`b64url@${pre % 3}`] : [])];
          expect(hits.map((h) => h.form).filter((f) => want.includes(f))).not.toEqual([]);
        }
      }
    }
  });

  it('base64Core of offset 0 is a prefix of plain base64', () => {
    const b = Buffer.from('canary-abc-0123');
    expect(b.toString('base64').startsWith(base64Core(b, 0))).toBe(true);
    expect(base64Core(b, 1).length).toBeGreaterThan(15);
  });

  it('finds raw and hex (either case); nothing in unrelated text', () => {
    const c = makeCanary('hex');
    const sweep = new CanarySweep([c]);
    expect(sweep.scan('raw', `{"msg":"${c}"}`).map((h) => h.form)).toEqual(['raw']);
    expect(sweep.scan('hex', Buffer.from(c).toString('hex')).map((h) => h.form)).toContain('hex');
    expect(sweep.scan('HEX', Buffer.from(c).toString('hex').toUpperCase()).map((h) => h.form)).toContain('HEX');
    expect(sweep.scan('other', makeCanary('hex') + Buffer.from(makeCanary('hex')).toString('base64'))).toEqual([]);
    expect(canaryForms(c).length).toBeGreaterThanOrEqual(6);
  });
});

describe('canary sweep of files and git stores', () => {
  it('walks directories and inflates zlib files', async () => {
    const c = makeCanary('dir');
    const d = scratch();
    fs.mkdirSync(join(d, 'a', 'b'), { recursive: true });
    writeFileSync(join(d, 'a', 'b', 'z'), deflateSync(Buffer.from(`xx${c}yy`)));
    writeFileSync(join(d, 'clean'), 'nothing here');
    const sweep = new CanarySweep([c]);
    await sweep.dir(d);
    expect(sweep.stats.files).toBe(2);
    expect(sweep.describe()).toEqual([`raw of ${c} in ${join(d, 'a', 'b', 'z')} (inflated)`]);
    const capped = new CanarySweep([c]);
    await capped.dir(d, { maxFiles: 1 });
    expect(capped.stats.files).toBe(1);
    expect(capped.skipped).toEqual([`${d}/… (more than 1 files)`]);
    const excluded = new CanarySweep([c]);
    await excluded.dir(d, { exclude: (p) => p.endsWith('/z') });
    expect(excluded.hits).toEqual([]);
  });

  it('reads loose and packed objects of a git repo', async () => {
    const c = makeCanary('git');
    const d = scratch();
    const g = (...args: string[]) =>
      execFileSync('git', ['-C', d, ...args], {
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    g('init', '--quiet');
    writeFileSync(join(d, 'f'), Buffer.from(`secret: ${Buffer.from(c).toString('base64')}\n`));
    g('add', 'f');
    g('commit', '--quiet', '-m', 'one');
    const loose = new CanarySweep([c]);
    expect(await loose.gitObjects(join(d, '.git'))).toBe(3);
    expect(loose.hits.map((h) => h.form)).toEqual(['b64@0']);
    g('gc', '--quiet', '--aggressive');
    expect(fs.readdirSync(join(d, '.git', 'objects', 'pack')).some((n) => n.endsWith('.pack'))).toBe(true);
    const packed = new CanarySweep([c]);
    await packed.gitObjects(join(d, '.git'));
    expect(packed.hits.map((h) => h.form)).toEqual(['b64@0']);
    // The raw files alone (compressed) would not show it — that is why objects are read through git.
    const raw = new CanarySweep([c]);
    await raw.dir(join(d, '.git', 'objects', 'pack'));
    expect(raw.hits).toEqual([]);
    expect(await findGitStores(d)).toEqual([join(d, '.git')]);
  });

  it('reads a bare store written by isomorphic-git (the daemon writes its stores that way)', async () => {
    const c = makeCanary('iso');
    const gitdir = join(scratch(), 'store.git');
    fs.mkdirSync(gitdir);
    await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
    const oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(`a ${c} b`) });
    const sweep = new CanarySweep([c]);
    expect(await sweep.gitObjects(gitdir)).toBe(1);
    expect(sweep.describe()).toEqual([`raw of ${c} in git:${gitdir}:${oid}`]);
    expect(await findGitStores(join(gitdir, '..'))).toEqual([gitdir]);
  });
});
