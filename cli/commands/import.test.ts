import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { scopeLabel, sealHybrid, type SealingScope } from '../../keys/index.js';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

const CANARY = 'canary-import-sealed-93be21';
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = pair.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;

function sealed(
  name: string,
  ns: string | undefined,
  scope: SealingScope = 'strict',
  values: Record<string, string> = { v: CANARY },
): string {
  const label = scopeLabel(scope, ns ?? '', name);
  const annotations = scope === 'strict' ? {} : { [`sealedsecrets.bitnami.com/${scope}`]: 'true' };
  return stringify({
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, ...(ns ? { namespace: ns } : {}), annotations },
    spec: {
      encryptedData: Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, sealHybrid(pair.publicKey, Buffer.from(v), label).toString('base64')]),
      ),
      template: { metadata: { name, annotations } },
    },
  });
}
const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n';

describe('import sealed-secrets', () => {
  const sb = useSandbox(async (b) => {
    await b.write('keys.pem', PEM);
  });
  const decrypt = async (file: string) => {
    const r = await sb.run(['decrypt', file]);
    expect(r.code, r.err).toBe(0);
    return parseAllDocuments(r.out).map((d) => d.toJS() as { metadata: Record<string, unknown>; data: Record<string, string> });
  };

  it('converts one file to standard output, encrypted for --age, and reports it', async () => {
    await sb.write('one.yaml', sealed('db', 'a'));
    const r = await sb.run(['import', 'sealed-secrets', 'one.yaml', '--keys', 'keys.pem', '--age', sb.recipient]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain(Buffer.from(CANARY).toString('base64'));
    expect(r.out).toMatch(/v: ENC\[AES256_GCM/);
    expect(r.err).toBe(
      'one.yaml: converted a/db (strict, 1 key, document 1)\nimport sealed-secrets: 1 SealedSecret(s) converted from 1 file(s)\n',
    );
    await sb.write('one.enc.yaml', r.out);
    const [s] = await decrypt('one.enc.yaml');
    expect(Buffer.from(s?.data['v'] ?? '', 'base64').toString()).toBe(CANARY);
  });

  it('walks directories into -o DIR, skipping files without SealedSecrets and leaving other documents behind', async () => {
    await mkdir(join(sb.dir, 'repo/sub'), { recursive: true });
    await sb.write('repo/sub/mixed.yaml', `${sealed('db', 'a')}---\n${cm}`);
    await sb.write('repo/plain.yaml', cm);
    const r = await sb.run(['import', 'sealed-secrets', 'repo', '--keys', 'keys.pem', '--age', sb.recipient, '-o', 'out']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('repo/plain.yaml: no SealedSecret, skipped');
    expect(r.err).toContain(
      'repo/sub/mixed.yaml: converted a/db (strict, 1 key, document 1) → out/sub/mixed.yaml; 1 other document(s) not copied',
    );
    expect(existsSync(join(sb.dir, 'out/plain.yaml'))).toBe(false);
    expect((await decrypt('out/sub/mixed.yaml')).map((d) => d.metadata['name'])).toEqual(['db']);
    // In place would drop the ConfigMap: refused, file untouched.
    const before = await sb.read('repo/sub/mixed.yaml');
    const i = await sb.run(['import', 'sealed-secrets', 'repo/sub/mixed.yaml', '--keys', 'keys.pem', '--age', sb.recipient, '-i']);
    expect(i.code).toBe(ExitCode.IO);
    expect(i.err).toContain('repo/sub/mixed.yaml: also holds 1 other document(s) that converting in place would drop');
    expect(await sb.read('repo/sub/mixed.yaml')).toBe(before);
  });

  it('needs -o or -i for several files, and a namespace for a namespaced SealedSecret without one', async () => {
    await sb.write('x.yaml', sealed('x', 'a'));
    await sb.write('y.yaml', sealed('y', 'a'));
    const many = await sb.run(['import', 'sealed-secrets', 'x.yaml', 'y.yaml', '--keys', 'keys.pem', '--age', sb.recipient]);
    expect(many.code).toBe(ExitCode.USAGE);
    expect(many.err).toContain('2 files to convert: pass -o DIR or --in-place');

    // Sealed for namespace a, written without one: --namespace says where it was applied.
    const yaml = sealed('db', 'a').replace(/^ {2}namespace: a\n/m, '');
    await sb.write('nons.yaml', yaml);
    const no = await sb.run(['import', 'sealed-secrets', 'nons.yaml', '--keys', 'keys.pem', '--age', sb.recipient]);
    expect(no.code).toBe(ExitCode.IO);
    expect(no.err).toContain('nons.yaml: document 1: SealedSecret (no namespace)/db: has no metadata.namespace');
    const yes = await sb.run(['import', 'sealed-secrets', 'nons.yaml', '--keys', 'keys.pem', '--age', sb.recipient, '--namespace', 'a']);
    expect(yes.code, yes.err).toBe(0);
    expect(yes.err).toContain('converted a/db (strict');
    // A cluster-wide one needs none, and keeps none.
    await sb.write('cw.yaml', sealed('shared', undefined, 'cluster-wide'));
    const cw = await sb.run(['import', 'sealed-secrets', 'cw.yaml', '--keys', 'keys.pem', '--age', sb.recipient, '-o', 'cw-out']);
    expect(cw.code, cw.err).toBe(0);
    expect((await decrypt('cw-out/cw.yaml'))[0]?.metadata).toEqual({
      name: 'shared',
      annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'true' },
    });
  });

  it('refuses every bad SealedSecret of a file at once, writing nothing, never a value', async () => {
    await sb.write(
      'bad.yaml',
      `${sealed('ok', 'a')}---\n${sealed('moved', 'a').replace('namespace: a', 'namespace: b')}---\n${sealed('x', 'a').replace('kind: SealedSecret', 'kind: SealedSecret\nspec: 1')}`,
    );
    const r = await sb.run(['import', 'sealed-secrets', 'bad.yaml', '--keys', 'keys.pem', '--age', sb.recipient, '-o', 'o']);
    expect(r.code).toBe(ExitCode.DECRYPT);
    expect(r.err).toContain('bad.yaml: ');
    expect(r.err).toContain(
      'document 2: SealedSecret b/moved: encryptedData.v: none of the 1 key(s) opens it for strict scope as "b/moved"',
    );
    expect(r.err).not.toContain(CANARY);
    expect(existsSync(join(sb.dir, 'o/bad.yaml'))).toBe(false);
  });

  it('reads the keys from standard input (--keys -), so they never touch the disk', async () => {
    await sb.write('one.yaml', sealed('db', 'a'));
    const r = await sb.run(['import', 'sealed-secrets', 'one.yaml', '--keys', '-', '--age', sb.recipient], sb.env, undefined, PEM);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('one.yaml: converted a/db');
  });

  it('writes JSON for a .json target holding one Secret', async () => {
    await sb.write('db.json', JSON.stringify(parseAllDocuments(sealed('db', 'a'))[0]?.toJS()));
    const r = await sb.run(['import', 'sealed-secrets', 'db.json', '--keys', 'keys.pem', '--age', sb.recipient, '-i']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(await sb.read('db.json'))).toMatchObject({ kind: 'Secret', metadata: { name: 'db', namespace: 'a' } });
  });
});
