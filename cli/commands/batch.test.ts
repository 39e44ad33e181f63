import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { ExitCode } from '../errors.js';
import { sandbox, secretYaml, type Sandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-batch-92ac';

describe('updatekeys / rotate', () => {
  let sb: Sandbox;
  let second: { recipient: string; file: string };
  beforeEach(async () => {
    sb = await sandbox();
    second = await generateAgeIdentity();
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    for (const n of ['a', 'b', 'c']) {
      await sb.write(`${n}.yaml`, secretYaml(n, { password: `${CANARY}-${n}` }));
      expect((await sb.run(['encrypt', '-i', `${n}.yaml`])).code).toBe(0);
    }
  });
  afterEach(async () => {
    await sb.cleanup();
  });

  it('applies new recipients with the same data key, reports progress, and is idempotent', async () => {
    await sb.write('.sops.yaml', `creation_rules:\n  - age:\n      - ${sb.recipient}\n      - ${second.recipient}\n`);
    const beforeA = await sb.read('a.yaml');
    const r = await sb.run(['updatekeys', 'a.yaml', 'b.yaml']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('[1/2] a.yaml\n');
    expect(r.err).toContain('[2/2] b.yaml\n');
    expect(r.err).toContain(`  + ${second.recipient}\n`);
    expect(r.err).toContain('updatekeys: 2 updated, 0 unchanged, 0 failed\n');
    const afterA = await sb.read('a.yaml');
    // same data key: value ciphertext unchanged
    const pw = (t: string): string | undefined => t.split('\n').find((l) => l.includes('password:'));
    expect(pw(afterA)).toBe(pw(beforeA));

    const secondKey = await sb.write('second.txt', second.file);
    const dec = await sb.run(['decrypt', 'a.yaml'], { ...sb.env, SOPS_AGE_KEY_FILE: secondKey });
    expect(dec.code).toBe(0);
    expect(dec.out).toContain(Buffer.from(`${CANARY}-a`).toString('base64'));

    const again = await sb.run(['updatekeys', '-o', 'json', 'a.yaml']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toEqual({ command: 'updatekeys', results: [{ path: 'a.yaml', status: 'unchanged' }] });
  });

  it('continues past a failing file, leaves it untouched and exits non-zero', async () => {
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${second.recipient}\n`);
    const broken = (await sb.read('b.yaml')).replace(/password: ENC\[AES256_GCM,data:[^,]+/, 'password: ENC[AES256_GCM,data:AAAA');
    await sb.write('b.yaml', broken);
    const r = await sb.run(['updatekeys', 'a.yaml', 'b.yaml', 'c.yaml', 'missing.yaml']);
    expect(r.code).toBe(ExitCode.DECRYPT);
    expect(r.err).toMatch(/gitops-seal: b\.yaml: file is tampered or corrupted/);
    expect(r.err).toContain('gitops-seal: missing.yaml: cannot read: no such file or directory\n');
    expect(r.err).toContain('updatekeys: 2 updated, 0 unchanged, 2 failed\n');
    expect(r.err).not.toContain(CANARY);
    expect(await sb.read('b.yaml')).toBe(broken);
    expect(await sb.read('c.yaml')).toContain(second.recipient);
    expect((await readdir(sb.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rotate changes every ciphertext but not the plaintext or recipients', async () => {
    const before = await sb.read('a.yaml');
    const plain = (await sb.run(['decrypt', 'a.yaml'])).out;
    const r = await sb.run(['rotate', 'a.yaml', 'c.yaml', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).results).toEqual([
      { path: 'a.yaml', status: 'updated' },
      { path: 'c.yaml', status: 'updated' },
    ]);
    const after = await sb.read('a.yaml');
    const pw = (t: string): string | undefined => t.split('\n').find((l) => l.includes('password:'));
    expect(pw(after)).not.toBe(pw(before));
    expect(after).toContain(sb.recipient);
    expect((await sb.run(['decrypt', 'a.yaml'])).out).toBe(plain);
  });

  it('refuses plaintext files', async () => {
    await sb.write('p.yaml', 'a: 1\n');
    const r = await sb.run(['rotate', 'p.yaml']);
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err).toContain('gitops-seal: p.yaml: not encrypted (no sops metadata)\n');
  });
});
