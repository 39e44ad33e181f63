// Known-answer tests against files written by the real sops v3.13.3 CLI (keys/testdata); they
// need no binaries. The reverse direction (the sops binary decrypts what we write) runs on the
// real stack in test/interop/ (sops-matrix.int.test.ts, cli-interop.int.test.ts), where a
// missing sops binary fails the run instead of skipping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { decryptText, parseIdentityFile, reencryptText, TamperedError } from '../index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
const keyFile = read('test-age-key.txt');
const identities = parseIdentityFile(keyFile, 'test-age-key.txt');
const ctx = { ageIdentities: identities };
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
