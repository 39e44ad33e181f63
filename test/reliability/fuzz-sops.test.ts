// Fuzzing SOPS decryption on files written by the real sops CLI (keys/testdata, test-only age
// key): mutated metadata, ciphertext, MAC, structure and comments. decryptText either returns
// the whole file, every value equal to the original plaintext, or throws a SopsError subclass
// whose message starts with the file name — never a TypeError, never a partially decrypted
// file, never a hang. The daemon's path (decryptFiles) reports the same failures per file.
// keys/sops/fuzz.test.ts covers freshly encrypted files with fixed seeds; this target adds the
// sops-written fixtures, the plaintext-equality property, the daemon path and FUZZ_SEED/RUNS.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AggregateDecryptError, decryptFiles } from '../../daemon/decrypt/index.js';
import { decryptText, SopsError, type FileFormat } from '../../keys/index.js';
import { expectTyped, fuzzParams, fuzzTimeout, mutated, timedAsync } from './arbitraries.js';

const dir = new URL('../../keys/testdata/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const identity = fixture('test-age-key.txt')
  .split('\n')
  .find((l) => l.startsWith('AGE-SECRET-KEY-')) as string;

const FILES: { path: string; format: FileFormat; text: string }[] = [
  { path: 'secrets/app.enc.yaml', format: 'yaml', text: fixture('sops-encrypted.yaml') },
  { path: 'secrets/app.enc.json', format: 'json', text: fixture('sops-encrypted.json') },
  { path: 'secrets/regex.enc.yaml', format: 'yaml', text: fixture('sops-encrypted-regex.yaml') },
];

/**
 * Every non-null scalar of every document, in order (the sops block removed): what the MAC
 * covers. Like sops (Go: walkValue returns nil untouched), nulls and key names are outside it.
 */
function leaves(text: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (k !== 'sops') walk(x);
    } else if (v !== null && v !== undefined) out.push(v);
  };
  for (const d of parseAllDocuments(text)) walk(d.toJS());
  return out;
}

const expected = new Map<string, unknown[]>();

async function decrypt(f: { path: string; format: FileFormat }, text: string, cache?: Map<string, Uint8Array>): Promise<string> {
  return timedAsync(`decryptText(${f.path})`, () =>
    decryptText(text, { format: f.format, source: f.path }, { ageIdentities: [identity], ...(cache ? { dataKeyCache: cache } : {}) }),
  );
}

const caseArb = fc.constantFrom(...FILES).chain((f) => fc.tuple(fc.constant(f), mutated(fc.constant(f.text)), fc.boolean()));

describe('fuzz: SOPS decryption of mutated sops-written files', () => {
  it('the fixtures decrypt (the mutation base is valid)', async () => {
    for (const f of FILES) {
      const plain = await decrypt(f, f.text);
      expect(plain).not.toContain('ENC[');
      expected.set(f.path, leaves(plain));
    }
  });

  it(
    'decryptText: whole plaintext or a SopsError naming the file',
    async () => {
      const cache = new Map<string, Uint8Array>();
      const seen = { ok: 0, failed: 0 };
      await fc.assert(
        fc.asyncProperty(caseArb, async ([f, text, useCache]) => {
          let plain: string;
          try {
            plain = await decrypt(f, text, useCache ? cache : undefined);
          } catch (err) {
            const e = expectTyped(err, [SopsError], f.path);
            expect(e.message.startsWith(`${f.path}: `)).toBe(true);
            seen.failed++;
            return;
          }
          seen.ok++;
          // Success means authenticated: the values are exactly the original ones, nothing left
          // encrypted, nothing altered (keys and comments are outside the MAC, as in sops).
          expect(leaves(plain)).toEqual(expected.get(f.path));
          expect(plain).not.toMatch(/ENC\[AES256_GCM,data:[^\]]*type:(str|int|float|bool|bytes)\]/);
        }),
        fuzzParams('sops/decryptText'),
      );
      expect(seen.failed).toBeGreaterThan(seen.ok / 10);
    },
    fuzzTimeout(10),
  );

  it(
    'daemon decryptFiles: a failing file is reported by path, never passed on half-decrypted',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async ([f, text]) => {
          try {
            const r = await timedAsync(`decryptFiles(${f.path})`, () =>
              decryptFiles([{ path: f.path, text }], { ageIdentities: [identity] }),
            );
            const [out] = r.files;
            expect(out?.path).toBe(f.path);
            // Either decrypted (then fully), or not recognised as a sops file and passed on as it is.
            if (r.decrypted.includes(f.path)) expect(leaves(out?.text ?? '')).toEqual(expected.get(f.path));
            else expect(out?.text).toBe(text);
          } catch (err) {
            const e = expectTyped(err, [AggregateDecryptError], f.path) as AggregateDecryptError;
            expect(e.errors.map((x) => x.file)).toEqual([f.path]);
          }
        }),
        fuzzParams('sops/decryptFiles', 0.5),
      );
    },
    fuzzTimeout(10, 0.5),
  );
});
