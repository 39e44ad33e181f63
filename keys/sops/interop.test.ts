// Known-answer tests against files written by the real sops v3.13.3 CLI (keys/testdata), and,
// when the pinned sops binary is present, the reverse direction: sops decrypts what we write.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { decryptText, encryptText, parseIdentityFile, reencryptText, TamperedError } from '../index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
const keyFile = read('test-age-key.txt');
const identities = parseIdentityFile(keyFile, 'test-age-key.txt');
const recipient = /public key: (age1\S+)/.exec(keyFile)?.[1] as string;
const ctx = { ageIdentities: identities };
const sopsBin = join(process.env['GITOPS_SEAL_CACHE'] ?? join(homedir(), '.cache', 'gitops-seal'), 'sops-v3.13.3', 'bin', 'sops');
const js = (t: string) => parseAllDocuments(t).map((d) => d.toJS() as unknown);

describe('files written by sops 3.13.3', () => {
  it('decrypts YAML (multi-document, comments, list comments) to the original data', async () => {
    const out = await decryptText(read('sops-encrypted.yaml'), { format: 'yaml', source: 'sops-encrypted.yaml' }, ctx);
    expect(js(out)).toEqual(js(read('plain.yaml')));
    expect(out).toContain('# top comment');
    expect(out).toContain('# before b');
  });

  it('decrypts JSON (int and float numbers)', async () => {
    const out = await decryptText(read('sops-encrypted.json'), { format: 'json', source: 'sops-encrypted.json' }, ctx);
    expect(JSON.parse(out)).toEqual(JSON.parse(read('plain.json')));
  });

  it('decrypts a file with encrypted_regex', async () => {
    const out = await decryptText(read('sops-encrypted-regex.yaml'), { format: 'yaml', source: 'r.yaml' }, ctx);
    expect(js(out)).toEqual(js(read('plain.yaml')));
  });

  it('refuses a tampered sops file', async () => {
    const t = read('sops-encrypted.yaml').replace('user_unencrypted: admin', 'user_unencrypted: root');
    await expect(decryptText(t, { format: 'yaml', source: 's' }, ctx)).rejects.toBeInstanceOf(TamperedError);
  });

  it('re-encrypts a sops file keeping unchanged ciphertext', async () => {
    const src = read('sops-encrypted.yaml');
    const out = await reencryptText(src, { format: 'yaml', source: 's' }, ctx);
    const line = (t: string, k: string) => t.split('\n').find((l) => l.trim().startsWith(`${k}:`));
    for (const k of ['password', 'port', 'ratio', 'enabled', 'apiVersion']) expect(line(out, k)).toBe(line(src, k));
  });
});

describe.skipIf(!existsSync(sopsBin))('sops 3.13.3 decrypts what we write', () => {
  const sopsDecrypt = (text: string, ext: string): string => {
    const tmp = mkdtempSync(join(tmpdir(), 'sops-interop-'));
    const f = join(tmp, `f.${ext}`);
    writeFileSync(f, text);
    return execFileSync(sopsBin, ['decrypt', f], { env: { ...process.env, SOPS_AGE_KEY_FILE: join(dir, 'test-age-key.txt') }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  it('YAML', async () => {
    const e = await encryptText(read('plain.yaml'), { format: 'yaml', source: 'p.yaml', keys: { age: [recipient] } }, ctx);
    expect(js(sopsDecrypt(e, 'yaml'))).toEqual(js(read('plain.yaml')));
  });

  it('JSON', async () => {
    const e = await encryptText(read('plain.json'), { format: 'json', source: 'p.json', keys: { age: [recipient] } }, ctx);
    expect(JSON.parse(sopsDecrypt(e, 'json'))).toEqual(JSON.parse(read('plain.json')));
  });

  it('YAML with encrypted_regex and mac_only_encrypted', async () => {
    const e = await encryptText(read('plain.yaml'), { format: 'yaml', source: 'p.yaml', keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' }, macOnlyEncrypted: true }, ctx);
    expect(js(sopsDecrypt(e, 'yaml'))).toEqual(js(read('plain.yaml')));
  });
});
