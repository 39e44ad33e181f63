// Issue 13, item 13 (keys side): a removed MAC and a tampered type tag are tampering, not a
// format problem — the CLI maps TamperedError to exit 3 and `check` reports "fails
// verification". The file is one written by the real sops 3.13.3 (keys/testdata).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { decryptText, parseIdentityFile, reencryptText, TamperedError } from '../index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
const ctx = { ageIdentities: parseIdentityFile(read('test-age-key.txt'), 'test-age-key.txt') };
const yaml = read('sops-encrypted.yaml');
const json = read('sops-encrypted.json');

/** Replace the type tag of the ENC[] value on the line starting with `key:`. */
const retag = (text: string, key: string, type: string): string => {
  const re = new RegExp(`^(\\s*"?${key}"?:\\s*"?ENC\\[[^\\]]*,type:)[a-z]+\\]`, 'm');
  expect(re.test(text)).toBe(true);
  return text.replace(re, `$1${type}]`);
};

const CASES: [string, 'yaml' | 'json', () => string][] = [
  ['YAML: mac line removed', 'yaml', () => yaml.replace(/^ {4}mac: .*\n/m, '')],
  ['YAML: mac emptied', 'yaml', () => yaml.replace(/^( {4}mac: ).*$/m, '$1""')],
  ['JSON: mac removed', 'json', () => json.replace(/^\t\t"mac": .*\n/m, '')],
  ['YAML: str value retagged int', 'yaml', () => retag(yaml, 'password', 'int')],
  ['YAML: int value retagged bool', 'yaml', () => retag(yaml, 'port', 'bool')],
  ['YAML: float value retagged time', 'yaml', () => retag(yaml, 'ratio', 'time')],
  ['YAML: value retagged with an unknown type', 'yaml', () => retag(yaml, 'password', 'blob')],
  ['YAML: mac retagged int', 'yaml', () => retag(yaml, 'mac', 'int')],
  ['YAML: comment retagged str (MAC then covers it)', 'yaml', () => yaml.replace(/type:comment\]/, 'type:str]')],
];

describe('tampering sops would also reject is classified as tampering', () => {
  it.each(CASES)('%s', async (_name, format, tamper) => {
    const text = tamper();
    expect(text).not.toBe(format === 'yaml' ? yaml : json);
    for (const op of [
      () => decryptText(text, { format, source: 'f' }, ctx),
      () => reencryptText(text, { format, source: 'f', rotate: true }, ctx),
    ]) {
      const err = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TamperedError);
      expect((err as Error).message).toMatch(/^f: file is tampered or corrupted: /);
    }
  });
});
