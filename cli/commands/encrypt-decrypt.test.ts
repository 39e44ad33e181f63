import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { ExitCode } from '../errors.js';
import { secretYaml, useSandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-encrypt-4d7a1c';
const CANARY_B64 = Buffer.from(CANARY).toString('base64');

describe('encrypt / decrypt', () => {
  const sb = useSandbox();

  it('encrypts a Secret with the .sops.yaml rule and the data/stringData default, and decrypts it back', async () => {
    await sb.write('.sops.yaml', `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${sb.recipient}\n`);
    const plain = secretYaml('db', { password: CANARY });
    await sb.write('db.yaml', plain);
    const enc = await sb.run(['encrypt', 'db.yaml']);
    expect(enc.code).toBe(0);
    expect(enc.out).not.toContain(CANARY_B64);
    expect(enc.out).toContain('kind: Secret');
    expect(enc.out).toContain('name: db');
    expect(enc.out).toMatch(/password: ENC\[AES256_GCM/);
    expect(enc.out).toContain('encrypted_regex: ^(data|stringData)$');
    expect(enc.out).toContain(sb.recipient);

    await sb.write('db.enc.yaml', enc.out);
    const dec = await sb.run(['decrypt', 'db.enc.yaml']);
    expect(dec.code).toBe(0);
    // sops re-indents YAML (4 spaces), so compare the data, not the bytes.
    expect(parse(dec.out)).toEqual(parse(plain));
    expect(dec.err).toBe('');
  });

  it('flags override the rule; -i keeps the mode; encrypting twice is refused', async () => {
    const other = await generateAgeIdentity();
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${other.recipient}\n`);
    await sb.write('app.json', JSON.stringify({ user: 'admin', pass_plain: 'visible', token: CANARY }), 0o640);
    const r = await sb.run(['encrypt', '-i', '--age', sb.recipient, '--unencrypted-suffix', '_plain', 'app.json']);
    expect(r.code).toBe(0);
    const text = await sb.read('app.json');
    expect(text).not.toContain(CANARY);
    expect(text).toContain('"pass_plain": "visible"');
    expect(text).toContain(sb.recipient);
    expect(text).not.toContain(other.recipient);
    expect((await stat(join(sb.dir, 'app.json'))).mode & 0o777).toBe(0o640);

    const again = await sb.run(['encrypt', '-i', '--age', sb.recipient, 'app.json']);
    expect(again.code).toBe(ExitCode.IO);
    expect(again.err).toBe('gitops-seal: app.json: already encrypted (it has sops metadata); use edit, updatekeys or rotate instead\n');
  });

  it('fails with a config error when no recipients are known', async () => {
    await sb.write('x.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', 'x.yaml', '--config', 'none.yaml']);
    expect(r.code).toBe(ExitCode.CONFIG);
    const r2 = await sb.run(['encrypt', 'x.yaml']);
    expect([ExitCode.CONFIG]).toContain(r2.code);
    expect(r2.err).toMatch(/^gitops-seal: .*x\.yaml: no recipients/);
  });

  it('rejects conflicting crypt flags as a usage error', async () => {
    const r = await sb.run(['encrypt', 'x.yaml', '--encrypted-regex', 'a', '--unencrypted-regex', 'b']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toMatch(/^gitops-seal: option .* cannot be used with/);
  });

  it('decrypt -o writes 0600; wrong key exits 4, tampering exits 3, never leaking values', async () => {
    await sb.write('s.yaml', secretYaml('s', { password: CANARY }));
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 's.yaml'])).code).toBe(0);

    const out = await sb.run(['decrypt', 's.yaml', '-o', 'plain.yaml']);
    expect(out.code).toBe(0);
    expect((await stat(join(sb.dir, 'plain.yaml'))).mode & 0o777).toBe(0o600);

    const stranger = await generateAgeIdentity();
    const strangerKey = await sb.write('stranger.txt', stranger.file);
    const wrong = await sb.run(['decrypt', 's.yaml'], { ...sb.env, SOPS_AGE_KEY_FILE: strangerKey });
    expect(wrong.code).toBe(ExitCode.KEYS);
    expect(wrong.err).toMatch(/^gitops-seal: s\.yaml: no key could decrypt the data key/);
    expect(wrong.err.split('\n')).toHaveLength(2);

    const enc = await sb.read('s.yaml');
    await sb.write('s.yaml', enc.replace(/(name: s)/, '$1x'));
    // metadata is not encrypted, so the changed name must break the MAC
    const tampered = await sb.run(['decrypt', 's.yaml']);
    expect(tampered.code).toBe(ExitCode.DECRYPT);
    expect(tampered.err).toMatch(/^gitops-seal: s\.yaml: file is tampered or corrupted/);
    for (const r of [wrong, tampered]) {
      expect(r.err).not.toContain(CANARY);
      expect(r.err).not.toContain(CANARY_B64);
      expect(r.out).toBe('');
    }
  });

  it('decrypt of a plaintext file and of a missing file are input errors', async () => {
    await sb.write('p.yaml', 'a: 1\n');
    expect(await sb.run(['decrypt', 'p.yaml'])).toMatchObject({
      code: ExitCode.IO,
      err: 'gitops-seal: p.yaml: not encrypted (no sops metadata)\n',
    });
    expect(await sb.run(['decrypt', 'missing.yaml'])).toMatchObject({
      code: ExitCode.IO,
      err: 'gitops-seal: missing.yaml: cannot read: no such file or directory\n',
    });
  });

  it('does not echo plaintext from an unparsable input', async () => {
    await sb.write('bad.json', `{"token": ${CANARY}}`);
    const r = await sb.run(['encrypt', '--age', sb.recipient, 'bad.json']);
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err).not.toContain(CANARY.slice(0, 8));
  });
});
