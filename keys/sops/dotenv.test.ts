import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIdentityFile } from '../age/identities.js';
import { decryptDotenvText, dotenvToSopsJson, isSopsDotenv } from './dotenv.js';
import { FormatError, NoMatchingKeyError, TamperedError } from './errors.js';

const td = (f: string): string => readFileSync(fileURLToPath(new URL(`../testdata/${f}`, import.meta.url)), 'utf8');
const keys = { ageIdentities: parseIdentityFile(td('test-age-key.txt'), 'test-age-key.txt') };
const enc = td('sops-encrypted.env');

describe('sops dotenv (files written by the real sops 3.13.3)', () => {
  it('decrypts to what sops decrypt prints, comment lines aside', async () => {
    expect(isSopsDotenv(enc)).toBe(true);
    expect(isSopsDotenv(td('plain.env'))).toBe(false);
    const expected = td('sops-decrypted.env').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(await decryptDotenvText(enc, 'app.env', keys)).toBe(expected);
  });

  it('verifies the MAC: a changed value, a dropped line, a reordered file are refused', async () => {
    const flip = enc.replace(/^(USER=ENC\[AES256_GCM,data:)(.)/m, (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`);
    await expect(decryptDotenvText(flip, 'app.env', keys)).rejects.toThrow(TamperedError);
    const dropped = enc.split('\n').filter((l) => !l.startsWith('USER=')).join('\n');
    await expect(decryptDotenvText(dropped, 'app.env', keys)).rejects.toThrow(/MAC mismatch/);
    const lines = enc.split('\n');
    const api = lines.findIndex((l) => l.startsWith('API_TOKEN='));
    const user = lines.findIndex((l) => l.startsWith('USER='));
    [lines[api], lines[user]] = [lines[user] as string, lines[api] as string];
    await expect(decryptDotenvText(lines.join('\n'), 'app.env', keys)).rejects.toThrow(/app\.env: .*(MAC|authenticate)/);
  });

  it('names the file when no key opens it or it is not sops', async () => {
    await expect(decryptDotenvText(enc, 'app.env', { ageIdentities: [] })).rejects.toThrow(NoMatchingKeyError);
    expect(() => dotenvToSopsJson('A=1\n', 'plain.env')).toThrow(FormatError);
    expect(() => dotenvToSopsJson('A=1\nA=2\nsops_mac=x\n', 'dup.env')).toThrow(/dup\.env: .*key A appears twice/);
  });
});
