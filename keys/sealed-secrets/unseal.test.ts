import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnsealError } from './errors.js';
import { sealHybrid } from './hybrid.js';
import { parseSealingKeys } from './private-keys.js';
import { scopeLabel, type SealingScope } from './scope.js';
import { unsealSealedSecret } from './unseal.js';

const pair = () => {
  const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pub: k.publicKey, keys: parseSealingKeys(k.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string, 'k.pem') };
};
const current = pair();
const old = pair();

const SCOPE_ANNOTATION: Record<SealingScope, Record<string, string>> = {
  strict: {},
  'namespace-wide': { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
  'cluster-wide': { 'sealedsecrets.bitnami.com/cluster-wide': 'true' },
};

/** A SealedSecret shaped as kubeseal writes it. */
function sealed(
  values: Record<string, string>,
  opts: { scope?: SealingScope; ns?: string; name?: string; pub?: typeof current.pub; template?: object } = {},
) {
  const scope = opts.scope ?? 'strict';
  const ns = opts.ns ?? 'team-a';
  const name = opts.name ?? 'db';
  const label = scopeLabel(scope, ns, name);
  const encryptedData = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, sealHybrid(opts.pub ?? current.pub, Buffer.from(v), label).toString('base64')]),
  );
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, namespace: ns, creationTimestamp: null, annotations: SCOPE_ANNOTATION[scope] },
    spec: {
      encryptedData,
      template: { metadata: { name, namespace: ns, creationTimestamp: null, annotations: SCOPE_ANNOTATION[scope] }, ...opts.template },
    },
  };
}

const failure = (f: () => unknown): UnsealError => {
  try {
    f();
  } catch (e) {
    if (e instanceof UnsealError) return e;
    throw e;
  }
  throw new Error('accepted');
};
const decoded = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

describe('unsealSealedSecret', () => {
  it('makes the Secret the controller would: template metadata/type, the SealedSecret namespace/name, the data', () => {
    const ss = sealed(
      { password: 's3cret', user: 'app' },
      {
        template: {
          type: 'kubernetes.io/basic-auth',
          immutable: true,
          metadata: { name: 'other', labels: { app: 'db' }, annotations: { note: 'x' }, creationTimestamp: null },
        },
      },
    );
    const { secret, scope } = unsealSealedSecret(ss, current.keys);
    expect(scope).toBe('strict');
    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'team-a', labels: { app: 'db' }, annotations: { note: 'x' } },
      type: 'kubernetes.io/basic-auth',
      immutable: true,
      data: { password: Buffer.from('s3cret').toString('base64'), user: Buffer.from('app').toString('base64') },
    });
  });

  it('opens each scope under its label, with any of several (rotated) keys', () => {
    for (const scope of ['strict', 'namespace-wide', 'cluster-wide'] as const) {
      const ss = sealed({ a: `v-${scope}` }, { scope, pub: old.pub });
      const r = unsealSealedSecret(ss, [...current.keys, ...old.keys]);
      expect(r.scope).toBe(scope);
      expect(decoded(r.secret.data)).toEqual({ a: `v-${scope}` });
      expect(r.keys).toEqual([old.keys[0]?.fingerprint]);
    }
  });

  it('honours scope: moved or renamed objects are refused where the controller would refuse them', () => {
    const moveTo = (ss: ReturnType<typeof sealed>, ns: string, name?: string) => ({
      ...ss,
      metadata: { ...ss.metadata, namespace: ns, ...(name ? { name } : {}) },
    });
    const strict = sealed({ token: 'TOPSECRET' });
    const e = failure(() => unsealSealedSecret(moveTo(strict, 'team-b'), current.keys));
    expect(e.reason).toBe('no-key-or-wrong-scope');
    expect(e.message).toBe(
      'SealedSecret team-b/db: encryptedData.token: none of the 1 key(s) opens it for strict scope as "team-b/db" — sealed for another namespace or name, another scope, or another controller key',
    );
    expect(e.message).not.toContain('TOPSECRET');
    expect(failure(() => unsealSealedSecret(moveTo(strict, 'team-a', 'db2'), current.keys)).reason).toBe('no-key-or-wrong-scope');
    // The namespace it is applied in counts, not the one written in the manifest.
    expect(failure(() => unsealSealedSecret(strict, current.keys, { namespace: 'team-b' })).object).toBe('SealedSecret team-b/db');

    const nsWide = sealed({ token: 't' }, { scope: 'namespace-wide' });
    expect(decoded(unsealSealedSecret(moveTo(nsWide, 'team-a', 'renamed'), current.keys).secret.data)).toEqual({ token: 't' });
    expect(failure(() => unsealSealedSecret(moveTo(nsWide, 'team-b'), current.keys)).reason).toBe('no-key-or-wrong-scope');

    const cw = sealed({ token: 't' }, { scope: 'cluster-wide' });
    expect(unsealSealedSecret(moveTo(cw, 'anywhere', 'x'), current.keys).secret.metadata).toMatchObject({
      namespace: 'anywhere',
      name: 'x',
    });

    // Dropping the scope annotation from a namespace-wide one makes it strict: refused.
    const stripped = { ...nsWide, metadata: { ...nsWide.metadata, annotations: {} } };
    expect(failure(() => unsealSealedSecret(stripped, current.keys)).reason).toBe('no-key-or-wrong-scope');
  });

  it('refuses a tampered value and an unknown key, naming the key', () => {
    const ss = sealed({ a: 'x', b: 'y' });
    const bytes = Buffer.from(ss.spec.encryptedData['b'] as string, 'base64');
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 1, bytes.length - 1); // the GCM tag
    const tampered = { ...ss, spec: { ...ss.spec, encryptedData: { ...ss.spec.encryptedData, b: bytes.toString('base64') } } };
    const e = failure(() => unsealSealedSecret(tampered, current.keys));
    expect(e.reason).toBe('tampered');
    expect(e.message).toBe('SealedSecret team-a/db: encryptedData.b: the ciphertext was altered (AES-GCM authentication failed)');
    expect(failure(() => unsealSealedSecret(ss, old.keys)).reason).toBe('no-key-or-wrong-scope');
  });

  it('renders template.data over the values; an empty encryptedData gives an empty Secret', () => {
    const ss = sealed({ pass: 'pw' }, { template: { data: { url: 'postgres://app:{{ .pass }}@db/app', pass: 'override' } } });
    expect(decoded(unsealSealedSecret(ss, current.keys).secret.data)).toEqual({ url: 'postgres://app:pw@db/app', pass: 'override' });
    expect(unsealSealedSecret(sealed({}), current.keys).secret.data).toEqual({});
    const fancy = sealed({ pass: 'pw' }, { template: { data: { x: '{{ .pass | upper }}' } } });
    expect(failure(() => unsealSealedSecret(fancy, current.keys)).reason).toBe('template');
  });

  it('refuses malformed SealedSecrets', () => {
    const ss = sealed({ a: 'x' });
    expect(failure(() => unsealSealedSecret({ ...ss, kind: 'Secret' }, current.keys)).message).toMatch(/not a SealedSecret/);
    const noNs = { ...ss, metadata: { name: 'db' } };
    expect(failure(() => unsealSealedSecret(noNs, current.keys)).message).toBe(
      'SealedSecret (no namespace)/db: has no metadata.namespace: say which namespace it is unsealed for',
    );
    expect(decoded(unsealSealedSecret(noNs, current.keys, { namespace: 'team-a' }).secret.data)).toEqual({ a: 'x' });
    expect(failure(() => unsealSealedSecret({ ...ss, spec: { data: 'AAAA' } }, current.keys)).message).toMatch(/deprecated spec.data/);
    expect(failure(() => unsealSealedSecret({ ...ss, spec: { encryptedData: { a: '!!' } } }, current.keys)).message).toMatch(
      /encryptedData.a: not base64/,
    );
  });
});
