// Migration from Sealed Secrets (issue 16 item 7), against the real kubeseal v0.27.1 (built from
// Go modules, test/stack/build/kubeseal.sh): SealedSecrets sealed by kubeseal offline with a
// controller-like key (RSA 4096, self-signed), in every scope, with template metadata, an empty
// one, and one sealed with a rotated (older) key; a kubeseal-written multi-document file; the keys
// as `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` prints them.
// `gitops-seal import sealed-secrets` converts them; the real sops decrypts the result to exactly
// what `kubeseal --recovery-unseal` recovers. Tampered and moved copies: refused by both tools.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { findTools } from '../stack/tools.js';
import { sandbox, type Sandbox } from '../support/cli-sandbox.js';
import {
  controllerKey,
  keySecretsList,
  kubeseal,
  moved,
  recoveryUnseal,
  secretManifest,
  tampered,
  type ControllerKey,
  type Scope,
} from '../support/sealed-secrets.js';
import { makeCanary } from '../reliability/canary.js';
import { runSops } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown>; data?: Record<string, string> };

let box: Sandbox;
let current: ControllerKey;
let old: ControllerKey;
let listFile: string;
const C = { db: makeCanary('ss-db'), api: makeCanary('ss-api'), shared: makeCanary('ss-shared'), rotated: makeCanary('ss-rotated') };
/** name → its kubeseal output (one document). */
const sealed = new Map<string, string>();

async function seal(
  name: string,
  scope: Scope,
  data: Record<string, string>,
  extra: Partial<Parameters<typeof secretManifest>[0]> = {},
  key = current,
) {
  sealed.set(name, await kubeseal(key, scope, secretManifest({ name, namespace: 'team-a', data, ...extra })));
}

beforeAll(async () => {
  box = await sandbox();
  [current, old] = await Promise.all([controllerKey(box.dir, 'current'), controllerKey(box.dir, 'old')]);
  listFile = await box.write('sealed-secrets-keys.yaml', keySecretsList([old, current]));
  await seal('db', 'strict', { username: 'app', password: C.db }, {
    type: 'kubernetes.io/basic-auth',
    labels: { app: 'db', tier: 'data' },
    annotations: { 'example.com/owner': 'team-a', 'reloader.stakater.com/match': 'true' },
  }); // prettier-ignore
  await seal('api', 'namespace-wide', { token: C.api });
  await seal('shared', 'cluster-wide', { 'ca.crt': C.shared });
  await seal('empty', 'strict', {});
  await seal('legacy', 'strict', { key: C.rotated }, {}, old);
  // One file as a user gets it from `kubeseal ... >> secrets.yaml`: several `---` documents.
  await put('repo/apps/secrets.yaml', [...sealed.values()].join(''));
}, 180_000);
afterAll(async () => {
  await box?.cleanup();
});

/** box.write with the parent directories made. */
async function put(name: string, content: string): Promise<string> {
  await mkdir(dirname(join(box.dir, name)), { recursive: true });
  return box.write(name, content);
}

const docsOf = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);

async function sopsDecrypt(file: string): Promise<Obj[]> {
  const r = await runSops(findTools().sops, ['-d', file], box.env, box.dir);
  expect(r.code, r.err).toBe(0);
  return docsOf(r.out);
}

/** What the controller would create, as kubeseal's recovery path says: without the ownerReference to the SealedSecret. */
function expected(secret: Record<string, unknown>): Obj {
  const s = structuredClone(secret) as Obj;
  delete s.metadata['ownerReferences'];
  delete s.metadata['creationTimestamp'];
  if (s.data === undefined || s.data === null) s.data = {};
  return s;
}

describe('gitops-seal import sealed-secrets (real kubeseal)', () => {
  it('converts a kubeseal-written multi-document file into SOPS Secrets that decrypt to what kubeseal recovers', async () => {
    const r = await box.run(['import', 'sealed-secrets', 'repo/apps', '--keys', listFile, '--age', box.recipient, '-o', 'out']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(
      'repo/apps/secrets.yaml: converted team-a/db (strict, 2 keys, document 1), team-a/api (namespace-wide, 1 key, document 2), ' +
        'team-a/shared (cluster-wide, 1 key, document 3), team-a/empty (strict, 0 keys, document 4), team-a/legacy (strict, 1 key, document 5) → out/secrets.yaml',
    );
    const text = await box.read('out/secrets.yaml');
    for (const c of Object.values(C)) expect(text).not.toContain(c);
    expect(text).not.toContain(Buffer.from(C.db).toString('base64'));
    const ours = await sopsDecrypt(join(box.dir, 'out/secrets.yaml'));
    expect(ours.map((s) => s.metadata['name'])).toEqual(['db', 'api', 'shared', 'empty', 'legacy']);
    for (const [i, [name, yaml]] of [...sealed.entries()].entries()) {
      const theirs = await recoveryUnseal([listFile], yaml);
      if (!theirs.ok) throw new Error(`kubeseal recovery of ${name}: ${theirs.err}`);
      expect(ours[i], name).toEqual(expected(theirs.secret));
    }
    const db = ours[0] as Obj;
    expect(Buffer.from(db.data?.['password'] ?? '', 'base64').toString()).toBe(C.db);
    expect(db['type']).toBe('kubernetes.io/basic-auth');
    expect(db.metadata['annotations']).toEqual({ 'example.com/owner': 'team-a', 'reloader.stakater.com/match': 'true' });
  });

  it('reads plain PEM key files, several --keys, and writes in place (.sops.yaml rules as encrypt)', async () => {
    await put('repo/.sops.yaml', `creation_rules:\n  - path_regex: .*\\.yaml$\n    age: ${box.recipient}\n`);
    await put('repo/one/db.yaml', sealed.get('db') ?? '');
    await put('repo/one/legacy.yaml', sealed.get('legacy') ?? '');
    // Only the current key: the legacy (rotated-key) SealedSecret does not open.
    const without = await box.run(['import', 'sealed-secrets', 'repo/one', '--keys', current.keyFile, '--in-place']);
    expect(without.code).toBe(3);
    expect(without.err).toMatch(
      /gitops-seal: repo\/one\/legacy\.yaml: document 1: SealedSecret team-a\/legacy: encryptedData\.key: none of the 1 key\(s\) opens it/,
    );
    expect(await box.read('repo/one/legacy.yaml')).toBe(sealed.get('legacy'));
    const both = await box.run([
      'import',
      'sealed-secrets',
      'repo/one/legacy.yaml',
      '--keys',
      current.keyFile,
      '--keys',
      old.keyFile,
      '-i',
    ]);
    expect(both.code, both.err).toBe(0);
    const [legacy] = await sopsDecrypt(join(box.dir, 'repo/one/legacy.yaml'));
    expect(Buffer.from(legacy?.data?.['key'] ?? '', 'base64').toString()).toBe(C.rotated);
  });

  it('refuses a tampered SealedSecret and copies moved to another namespace or name, as kubeseal does; nothing written', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'tampered.yaml',
        tampered(sealed.get('db') ?? '', 'password'),
        /SealedSecret team-a\/db: encryptedData\.password: the ciphertext was altered/,
      ],
      [
        'strict-ns.yaml',
        moved(sealed.get('db') ?? '', { namespace: 'team-b' }),
        /SealedSecret team-b\/db: encryptedData\.\w+: none of the 2 key\(s\) opens it for strict scope as "team-b\/db"/,
      ],
      ['strict-name.yaml', moved(sealed.get('db') ?? '', { name: 'db2' }), /SealedSecret team-a\/db2: .*strict scope as "team-a\/db2"/],
      [
        'nswide-ns.yaml',
        moved(sealed.get('api') ?? '', { namespace: 'team-b' }),
        /SealedSecret team-b\/api: .*namespace-wide scope in namespace "team-b"/,
      ],
    ];
    await mkdir(join(box.dir, 'bad'), { recursive: true });
    for (const [file, yaml, message] of cases) {
      await writeFile(join(box.dir, 'bad', file), yaml);
      const r = await box.run(['import', 'sealed-secrets', `bad/${file}`, '--keys', listFile, '--age', box.recipient, '-o', 'bad-out']);
      expect(r.code, file).toBe(3);
      expect(r.err).toMatch(new RegExp(`gitops-seal: bad/${file.replace('.', '\\.')}: document 1: `));
      expect(r.err).toMatch(message);
      for (const c of Object.values(C)) expect(r.err + r.out).not.toContain(c);
      expect(existsSync(join(box.dir, 'bad-out', file))).toBe(false);
      // The controller's own recovery path refuses the same object.
      expect((await recoveryUnseal([listFile], yaml)).ok, file).toBe(false);
    }
    // A namespace-wide one renamed, and a cluster-wide one moved anywhere, still open — in both tools.
    for (const yaml of [
      moved(sealed.get('api') ?? '', { name: 'renamed' }),
      moved(sealed.get('shared') ?? '', { namespace: 'elsewhere', name: 'x' }),
    ]) {
      await writeFile(join(box.dir, 'ok.yaml'), yaml);
      const r = await box.run(['import', 'sealed-secrets', 'ok.yaml', '--keys', listFile, '--age', box.recipient]);
      expect(r.code, r.err).toBe(0);
      expect((await recoveryUnseal([listFile], yaml)).ok).toBe(true);
    }
  });

  it('renders spec.template.data as the controller does ({{ .key }}, {{ index . "key" }}, trim markers; functions refused)', async () => {
    const withTemplate = (data: Record<string, string>): string => {
      const doc = docsOf(sealed.get('db') ?? '')[0] as Obj & { spec: { template: Record<string, unknown> } };
      doc.spec.template['data'] = data;
      return stringify(doc);
    };
    const yaml = withTemplate({
      url: 'postgres://{{ .username }}:{{ index . "password" }}@db:5432/app',
      'config.ini': '[db]\nuser = {{- " " -}} {{ .username }}\nmissing={{ .nope }}\n',
      username: 'overridden',
    });
    await put('tpl/db.yaml', yaml);
    const r = await box.run(['import', 'sealed-secrets', 'tpl/db.yaml', '--keys', listFile, '--age', box.recipient, '-o', 'tpl-out']);
    // `{{- " " -}}` is a string constant, which this reader does not evaluate: refused by key, nothing written.
    expect(r.code).toBe(6);
    expect(r.err).toContain('template.data.config.ini: uses template functions gitops-seal cannot evaluate');
    const supported = withTemplate({
      url: 'postgres://{{ .username }}:{{ index . "password" }}@db:5432/app',
      'config.ini': '[db]\nuser = {{- .username -}} !\nmissing={{ .nope }}\n',
      username: 'overridden',
    });
    await put('tpl/db.yaml', supported);
    const ok = await box.run(['import', 'sealed-secrets', 'tpl/db.yaml', '--keys', listFile, '--age', box.recipient, '-o', 'tpl-out']);
    expect(ok.code, ok.err).toBe(0);
    const [ours] = await sopsDecrypt(join(box.dir, 'tpl-out/db.yaml'));
    const theirs = await recoveryUnseal([listFile], supported);
    if (!theirs.ok) throw new Error(theirs.err);
    expect(ours).toEqual(expected(theirs.secret));
    expect(Buffer.from(ours?.data?.['url'] ?? '', 'base64').toString()).toBe(`postgres://app:${C.db}@db:5432/app`);
  });

  it('names the key file when it holds no key', async () => {
    const bad = await box.write('not-keys.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    const r = await box.run(['import', 'sealed-secrets', 'repo/apps', '--keys', bad, '--age', box.recipient, '-o', 'x']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('not-keys.yaml: document 1 is a ConfigMap, not a Secret or a List of Secrets');
    expect(await readFile(listFile, 'utf8')).toContain('sealed-secrets-key');
  });
});
