import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { AuthFailure } from './errors.js';
import { decryptLeaf, EncFormatError, encryptLeaf, formatGoFloatF, formatGoFloatG, parseEnc, type IvStash } from './cipher.js';

const key = randomBytes(32);

describe('cipher', () => {
  it('writes the sops ENC[] shape with a 32-byte IV and 16-byte tag', () => {
    const enc = encryptLeaf({ kind: 'str', text: 'canary-value' }, key, 'a:b:');
    expect(enc).toMatch(/^ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]$/);
    const p = parseEnc(enc);
    expect(p.iv.length).toBe(32);
    expect(p.tag.length).toBe(16);
    expect(p.data.length).toBe('canary-value'.length);
  });

  it('round-trips every type and canonicalises like sops', () => {
    for (const leaf of [
      { kind: 'str', text: 'x' },
      { kind: 'int', text: '-42' },
      { kind: 'float', text: '1.5' },
      { kind: 'bool', text: 'True' },
      { kind: 'bool', text: 'False' },
      { kind: 'bytes', text: 'raw' },
      { kind: 'comment', text: ' note' },
    ] as const) {
      expect(decryptLeaf(encryptLeaf(leaf, key, 'p:'), key, 'p:')).toEqual(leaf);
    }
  });

  it('draws a fresh IV for every value (pooled CSPRNG bytes, never reused)', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 1000; i++) ivs.add(parseEnc(encryptLeaf({ kind: 'str', text: 'same' }, key, 'a:')).iv.toString('hex'));
    expect(ivs.size).toBe(1000);
  });

  it('binds the key path as additional data', () => {
    const enc = encryptLeaf({ kind: 'str', text: 'v' }, key, 'a:');
    expect(() => decryptLeaf(enc, key, 'b:')).toThrow(AuthFailure);
    expect(() => decryptLeaf(enc, randomBytes(32), 'a:')).toThrow(AuthFailure);
  });

  it('leaves empty values empty', () => {
    expect(encryptLeaf({ kind: 'str', text: '' }, key, 'a:')).toBe('');
    expect(decryptLeaf('', key, 'a:')).toEqual({ kind: 'str', text: '' });
  });

  it('refuses truncated tags and malformed values', () => {
    const enc = encryptLeaf({ kind: 'str', text: 'v' }, key, 'a:');
    const short = enc.replace(/tag:([^,]+),/, (_m, t: string) => `tag:${Buffer.from(t, 'base64').subarray(0, 12).toString('base64')},`);
    expect(() => decryptLeaf(short, key, 'a:')).toThrow(AuthFailure);
    expect(() => decryptLeaf('ENC[AES256_GCM,data:!!,iv:AA==,tag:AA==,type:str]', key, 'a:')).toThrow(EncFormatError);
    expect(() => decryptLeaf('plain', key, 'a:')).toThrow(EncFormatError);
  });

  it('reuses stashed IVs so unchanged values keep their ciphertext', () => {
    const stash: IvStash = new Map();
    const enc = encryptLeaf({ kind: 'int', text: '7' }, key, 'n:');
    const leaf = decryptLeaf(enc, key, 'n:', stash);
    expect(encryptLeaf(leaf, key, 'n:', stash)).toBe(enc);
    expect(encryptLeaf({ kind: 'str', text: '7' }, key, 'n:', stash)).not.toBe(enc);
  });

  it('formats floats like Go strconv', () => {
    expect(formatGoFloatF(1)).toBe('1');
    expect(formatGoFloatF(1.5)).toBe('1.5');
    expect(formatGoFloatF(1e21)).toBe('1000000000000000000000');
    expect(formatGoFloatF(1e-7)).toBe('0.0000001');
    expect(formatGoFloatF(-0.25)).toBe('-0.25');
    expect(formatGoFloatF(Infinity)).toBe('+Inf');
    expect(formatGoFloatF(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatGoFloatG(1e6)).toBe('1e+06');
    expect(formatGoFloatG(123456)).toBe('123456');
    expect(formatGoFloatG(0.00001)).toBe('1e-05');
  });

  it('uses sha256("sops") as the mac_only_encrypted prefix', async () => {
    const { MacHasher } = await import('./mac.js');
    const a = new MacHasher(true);
    const b = createHash('sha512').update(createHash('sha256').update('sops').digest()).update('x');
    a.add({ kind: 'str', text: 'x' }, true);
    a.add({ kind: 'str', text: 'skipped' }, false);
    expect(a.hex()).toBe(b.digest('hex').toUpperCase());
  });
});
