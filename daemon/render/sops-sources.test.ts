// openSopsSources on files written by the real sops 3.13.3 (keys/testdata, TEST-ONLY key).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIdentityFile } from '../../keys/index.js';
import { decodeRendered } from './decrypt-output.js';
import type { FileUse } from './graph.js';
import type { KustomizationRef } from './kustomization.js';
import { isEncryptedSource, openSopsSources, sopsFormatOf, type OpenedSourceCache } from './sops-sources.js';

const td = (f: string): string => readFileSync(fileURLToPath(new URL(`../../keys/testdata/${f}`, import.meta.url)), 'utf8');
const keys = { ageIdentities: parseIdentityFile(td('test-age-key.txt'), 'test-age-key.txt') };
const resource: KustomizationRef = { kind: 'target', field: 'resources', value: 'x' };
const gen = (kind: 'secretGenerator' | 'configMapGenerator', use: 'files' | 'envs'): KustomizationRef => ({ kind: 'generator-source', field: `${kind}[g].${use}`, value: 'x', generator: { kind, name: 'g', use } });
const uses = (entries: [string, KustomizationRef][]): Map<string, FileUse[]> => new Map(entries.map(([p, ref]) => [p, [{ kustomization: 'k/kustomization.yaml', ref }]]));

describe('sopsFormatOf / isEncryptedSource', () => {
  it('picks the store by extension as sops does and detects encryption per format', () => {
    expect(['a.yaml', 'a.yml', 'a.json', 'a.env', 'a.ini', 'a.key'].map(sopsFormatOf)).toEqual(['yaml', 'yaml', 'json', 'dotenv', 'ini', 'binary']);
    expect(isEncryptedSource('s.env', td('sops-encrypted.env'))).toBe(true);
    expect(isEncryptedSource('p.env', td('plain.env'))).toBe(false);
    expect(isEncryptedSource('s.yaml', td('sops-encrypted-regex.yaml'))).toBe(true);
    expect(isEncryptedSource('p.yaml', td('plain.yaml'))).toBe(false);
  });
});

describe('openSopsSources', () => {
  it('maps every ciphertext of a verified resource to its typed plaintext, comments in lists included', async () => {
    const files = new Map([['k/secret.yaml', td('sops-encrypted-regex.yaml')]]);
    const s = await openSopsSources(files, uses([['k/secret.yaml', resource]]), keys);
    expect(s.problems).toEqual([]);
    expect(s.decryptedFiles).toEqual(['k/secret.yaml']);
    // The rendered document is the encrypted one (kustomize carried it through): decrypting it
    // with the map gives what `sops decrypt` gives for the file.
    const rendered = td('sops-encrypted-regex.yaml').split('\n---\n')[0] as string;
    // (A custom kind: a Secret's stringData must be strings, and the fixture holds every type.)
    const doc = rendered.replace(/^# top comment\n/, '').replace('apiVersion: v1', 'apiVersion: example.com/v1');
    const out = decodeRendered(`${doc}\nkind: Example\nmetadata:\n  name: s\n`, 'k/kustomization.yaml', s.ciphertexts);
    expect(out.problems).toEqual([]);
    expect(out.objects[0]?.object.stringData).toEqual({ password: 'dummy-password-1', port: 5432, ratio: 1.5, enabled: true, empty: '', list: ['a', 'b'], user_unencrypted: 'admin' });
  });

  it('decrypts a dotenv generator source to KEY=value lines and reuses a verified file by blob id', async () => {
    const files = new Map([['k/app.env', td('sops-encrypted.env')]]);
    const cache: OpenedSourceCache = new Map();
    const ids = new Map([['k/app.env', 'blob1']]);
    const first = await openSopsSources(files, uses([['k/app.env', gen('secretGenerator', 'envs')]]), keys, { ids, cache });
    expect(first.generatorPlaintext.get('k/app.env')?.toString()).toContain('API_TOKEN=dummy-token-123\n');
    expect(cache.size).toBe(1);
    // Same blob: no key needed any more (nothing is decrypted again).
    const again = await openSopsSources(files, uses([['k/app.env', gen('secretGenerator', 'envs')]]), { ageIdentities: [] }, { ids, cache });
    expect(again.problems).toEqual([]);
    expect(again.generatorPlaintext.get('k/app.env')).toEqual(first.generatorPlaintext.get('k/app.env'));
  });

  it('refuses, naming the file: configMapGenerator, ini, commented dotenv under files:, wrong key', async () => {
    const files = new Map([
      ['k/cm.env', td('sops-encrypted.env')],
      ['k/x.ini', '[sops]\nmac = x\n'],
      ['k/files.env', td('sops-encrypted.env')],
      ['k/nokey.yaml', td('sops-encrypted-regex.yaml')],
    ]);
    const s = await openSopsSources(
      files,
      uses([
        ['k/cm.env', gen('configMapGenerator', 'envs')],
        ['k/x.ini', gen('secretGenerator', 'files')],
        ['k/files.env', gen('secretGenerator', 'files')],
        ['k/nokey.yaml', resource],
      ]),
      { ageIdentities: [] },
    );
    expect(s.problems.map((p) => [p.file, p.reason])).toEqual([
      ['k/cm.env', 'not-supported'],
      ['k/files.env', 'not-supported'],
      ['k/nokey.yaml', 'no-key'],
      ['k/x.ini', 'not-supported'],
    ]);
    expect(s.problems[0]?.message).toMatch(/configMapGenerator g in k\/kustomization\.yaml/);
    expect(s.generatorPlaintext.size).toBe(0);
  });
});
