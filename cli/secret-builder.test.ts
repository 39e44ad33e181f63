import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSecret, parseEnvFile, splitLiteral } from './secret-builder.js';

const CANARY = 'canary-literal-value-91b2';

describe('secret-builder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitops-seal-sb-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const spec = { name: 's', namespace: 'ns', type: 'Opaque' };
  const none = { fromLiteral: [], fromFile: [], fromEnvFile: [] };

  it('puts every source base64 into data, like kubectl create secret generic', async () => {
    await writeFile(join(dir, 'tls.crt'), Buffer.from([0, 1, 2, 255]));
    await writeFile(join(dir, 'app.env'), '# comment\n\nUSER=admin\n  PASS=a=b\n');
    const s = await buildSecret(spec, { fromLiteral: ['token=x=y'], fromFile: ['tls.crt', 'ca=tls.crt'], fromEnvFile: ['app.env'] }, (p) =>
      resolve(dir, p),
    );
    expect(s).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      type: 'Opaque',
      data: {
        token: Buffer.from('x=y').toString('base64'),
        'tls.crt': 'AAEC/w==',
        ca: 'AAEC/w==',
        USER: Buffer.from('admin').toString('base64'),
        PASS: Buffer.from('a=b').toString('base64'),
      },
    });
  });

  it('never echoes a malformed literal (it may be the secret itself)', () => {
    expect(() => splitLiteral(CANARY, 0)).toThrow(/--from-literal #1: expected KEY=VALUE/);
    try {
      splitLiteral(CANARY, 0);
    } catch (e) {
      expect((e as Error).message).not.toContain(CANARY);
    }
  });

  it('rejects duplicate and invalid keys, and empty secrets', async () => {
    await expect(buildSecret(spec, { ...none, fromLiteral: ['a=1', 'a=2'] }, (p) => p)).rejects.toThrow(/given more than once/);
    await expect(buildSecret(spec, { ...none, fromLiteral: ['a b=1'] }, (p) => p)).rejects.toThrow(/must consist of/);
    await expect(buildSecret(spec, none, (p) => p)).rejects.toThrow(/no data/);
  });

  it('reports env file lines by number, not content', () => {
    expect(() => parseEnvFile(`A=1\n${CANARY}\n`, 'x.env')).toThrow(/line 2: expected KEY=VALUE/);
  });
});
