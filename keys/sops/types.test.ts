// Issue 13, items 1 and 2, known answers from the real sops 3.13.3 (keys/testdata, no binary
// needed): a file holding every value type sops writes — str, int, float, bool, time, comment —
// encrypted and in clear (go-yaml v3 typing: unquoted dates are times, 0x1F is 31, 1_000 is
// 1000, `yes` is a string). We must decrypt it (the MAC covers the values left in clear, so their
// typing must match too) and print what `sops decrypt` prints; and encrypt the plaintext to the
// same types and layout sops writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

import { decryptText, encryptText, parseIdentityFile, reencryptText } from '../index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
const keyFile = read('test-age-key.txt');
const ctx = { ageIdentities: parseIdentityFile(keyFile, 'test-age-key.txt') };
const recipient = /# public key: (age1[0-9a-z]+)/.exec(keyFile)?.[1] as string;

/**
 * Where we deliberately differ from `sops decrypt`: go-yaml writes a whole float as `2`, which
 * reads back as an int, so an edit would change the value's type; we keep `2.0`.
 */
const WHOLE_FLOATS: [string, string][] = [
  ['    whole: 2\n', '    whole: 2.0\n'],
  ['    exp: 1000\n', '    exp: 1000.0\n'],
];
const withOurFloats = (sopsOut: string): string => WHOLE_FLOATS.reduce((t, [a, b]) => t.replace(a, b), sopsOut);

/** The encrypted file with ciphertexts reduced to their type tag and the sops block dropped. */
const shape = (enc: string): string =>
  enc.replace(/ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:([a-z]+)\]/g, 'ENC[$1]').replace(/^sops:[\s\S]*$/m, '');

describe('every value type sops writes (sops-encrypted-types.yaml)', () => {
  it('decrypts, byte for byte as `sops decrypt` prints it (whole floats aside)', async () => {
    const out = await decryptText(read('sops-encrypted-types.yaml'), { format: 'yaml', source: 'types.yaml' }, ctx);
    expect(out).toBe(withOurFloats(read('sops-decrypted-types.yaml')));
  });

  it('keeps YAML 1.1 readers on the types sops assigned: strings that look like other types are quoted', async () => {
    const out = await decryptText(read('sops-encrypted-types.yaml'), { format: 'yaml', source: 'types.yaml' }, ctx);
    for (const line of [
      'yes_word: "yes"',
      'on_word: "on"',
      'n_word: "n"',
      'off_word: "Off"',
      'quoted_date: "2027-01-01"',
      'base60: "1:20"',
      'word: "yes"',
      '- "yes"',
    ]) {
      expect(out).toContain(line);
    }
    expect(out).toContain('expires: 2027-01-01T00:00:00Z');
  });

  it('encrypts the plaintext to the types and layout sops writes', async () => {
    const enc = await encryptText(read('plain-types.yaml'), { format: 'yaml', source: 'types.yaml', keys: { age: [recipient] } }, {});
    expect(shape(enc)).toBe(shape(read('sops-encrypted-types.yaml')));
    expect(await decryptText(enc, { format: 'yaml', source: 'types.yaml' }, ctx)).toBe(withOurFloats(read('sops-decrypted-types.yaml')));
  });

  it('an edit of the decrypted text keeps every unchanged ciphertext, time values included', async () => {
    const enc = read('sops-encrypted-types.yaml');
    const plain = await decryptText(enc, { format: 'yaml', source: 'types.yaml' }, ctx);
    const edited = await reencryptText(
      enc,
      { format: 'yaml', source: 'types.yaml', newPlaintext: plain.replace('port: 5432', 'port: 5433') },
      ctx,
    );
    const lines = (t: string) => t.split('\n').filter((l) => l.includes('ENC[') && !/^\s+(port|mac):/.test(l));
    expect(lines(edited)).toEqual(lines(enc));
  });
});

describe('keys that a YAML 1.1 reader would retype', () => {
  it('are double-quoted as go-yaml writes string keys (sops rebuilds every key), quoted keys keep their style', async () => {
    // kubectl (YAML 1.1) reads a plain `on:` / `yes:` key as the bool true, so
    // `decrypt | kubectl apply` would send the key "true".
    const plain = "stringData:\n    yes: a\n    on: b\n    n: c\n    1:20: d\n    ok: e\n    'single': f\n";
    const enc = await encryptText(plain, { format: 'yaml', source: 'k.yaml', keys: { age: [recipient] } }, {});
    expect(shape(enc)).toBe(
      'stringData:\n    "yes": ENC[str]\n    "on": ENC[str]\n    "n": ENC[str]\n    "1:20": ENC[str]\n    ok: ENC[str]\n    \'single\': ENC[str]\n',
    );
    expect(await decryptText(enc, { format: 'yaml', source: 'k.yaml' }, ctx)).toBe(
      'stringData:\n    "yes": a\n    "on": b\n    "n": c\n    "1:20": d\n    ok: e\n    \'single\': f\n',
    );
  });
});

describe('indentation', () => {
  it("an encrypted file keeps its own (sops' stores.yaml.indent) through decrypt, rotate and an edit", async () => {
    const enc4 = await encryptText(
      'a:\n  b: 1\n  l:\n    - x\n  m: |\n    text\n',
      { format: 'yaml', source: 'i.yaml', keys: { age: [recipient] } },
      {},
    );
    expect(enc4).toMatch(/^a:\n    b: ENC/);
    // The same file as sops writes it with `stores: {yaml: {indent: 2}}` in .sops.yaml.
    const enc2 = parseDocument(enc4).toString({ indent: 2, lineWidth: 0 });
    expect(enc2).toMatch(/^a:\n  b: ENC[^\n]*\n  l:\n    - ENC/);
    expect(await decryptText(enc2, { format: 'yaml', source: 'i.yaml' }, ctx)).toBe('a:\n  b: 1\n  l:\n    - x\n  m: |\n    text\n');
    const layout = (t: string): number[] => t.split('\n').map((l) => /^ */.exec(l)?.[0].length ?? 0);
    const rotated = await reencryptText(enc2, { format: 'yaml', source: 'i.yaml', rotate: true }, ctx);
    expect(layout(rotated)).toEqual(layout(enc2));
    const edited = await reencryptText(
      enc2,
      { format: 'yaml', source: 'i.yaml', newPlaintext: 'a:\n  b: 2\n  l:\n    - x\n  m: |\n    text\n' },
      ctx,
    );
    expect(layout(edited)).toEqual(layout(enc2));
    expect(await decryptText(edited, { format: 'yaml', source: 'i.yaml' }, ctx)).toBe('a:\n  b: 2\n  l:\n    - x\n  m: |\n    text\n');
  });
});

describe('nulls', () => {
  it('are written `null` on encrypt and decrypt, as sops writes them (no `~`, no `- ` with a trailing space)', async () => {
    const enc = await encryptText(
      'a:\nb: ~\nc: !!null\nl:\n  -\n  - ~\n  - NULL\nq: "~"\n',
      { format: 'yaml', source: 'n.yaml', keys: { age: [recipient] } },
      {},
    );
    expect(shape(enc)).toBe('a: null\nb: null\nc: null\nl:\n    - null\n    - null\n    - null\nq: ENC[str]\n');
    expect(await decryptText(enc, { format: 'yaml', source: 'n.yaml' }, ctx)).toBe(
      'a: null\nb: null\nc: null\nl:\n    - null\n    - null\n    - null\nq: "~"\n',
    );
  });
});

describe('keys sops would not hold as strings', () => {
  const encrypt = (text: string) => encryptText(text, { format: 'yaml', source: 'k.yaml', keys: { age: [recipient] } }, {});
  it('are refused with their position, what go-yaml reads them as, and what to do', async () => {
    await expect(encrypt('d:\n  0b10: x\n')).rejects.toThrow(
      'k.yaml: at line 2, column 3: mapping key "0b10" at /d reads as an int in YAML (sops\' go-yaml); only string keys are supported: quote it',
    );
    await expect(encrypt('2027-01-01: x\n')).rejects.toThrow(/at line 1, column 1: mapping key "2027-01-01" at \/ reads as a time/);
    await expect(encrypt('? [a]\n: v\n')).rejects.toThrow(
      'k.yaml: at line 1, column 3: a mapping key at / is a sequence; only string keys are supported',
    );
  });

  it('a top-level sops key that is not metadata is a format problem (exit 6), not a key problem', async () => {
    await expect(encrypt('sops: x\na: 1\n')).rejects.toMatchObject({ name: 'FormatError' });
  });
});

describe('duplicate keys (checked with a set since the quadratic uniqueKeys check is gone)', () => {
  it('are refused with their position, as sops refuses them', async () => {
    const err = await encryptText(
      'a: 1\nb:\n    c: 2\n    c: 3\n',
      { format: 'yaml', source: 'dup.yaml', keys: { age: [recipient] } },
      {},
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('dup.yaml: at line 4, column 5: invalid YAML: mapping key "c" already defined');
  });

  it('"a" and a are the same key; yes and "yes" too', async () => {
    for (const text of ['a: 1\n"a": 2\n', 'yes: 1\n"yes": 2\n']) {
      await expect(encryptText(text, { format: 'yaml', source: 'dup.yaml', keys: { age: [recipient] } }, {})).rejects.toThrow(
        /already defined/,
      );
    }
  });
});
