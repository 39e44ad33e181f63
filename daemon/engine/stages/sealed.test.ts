import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSealingKeys, scopeLabel, sealHybrid, type SealingScope } from '../../../keys/index.js';
import { AggregateDecryptError } from '../../decrypt/index.js';
import type { KubeObject } from '../../kube/types.js';
import { RevisionError } from '../errors.js';
import { unsealSealed } from './sealed.js';

const at = { sync: 'apps', commit: 'abcdef0123456789' };
const CANARY = 'canary-stage-sealed-7d41a9';
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = parseSealingKeys(pair.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string, 'k.pem');
const ANNOTATIONS: Record<SealingScope, Record<string, string>> = {
  strict: {},
  'namespace-wide': { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
  'cluster-wide': { 'sealedsecrets.bitnami.com/cluster-wide': 'true' },
};

function sealed(name: string, sealedFor: string, scope: SealingScope, appliedIn: string | undefined = sealedFor): KubeObject {
  const value = sealHybrid(pair.publicKey, Buffer.from(CANARY), scopeLabel(scope, sealedFor, name)).toString('base64');
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, ...(appliedIn ? { namespace: appliedIn } : {}), annotations: ANNOTATIONS[scope] },
    spec: { encryptedData: { token: value }, template: { metadata: { labels: { app: name } } } },
  };
}
const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } };

describe('sealed stage', () => {
  it('without sealedSecrets keys, SealedSecrets pass through untouched', () => {
    const objs = [sealed('db', 'a', 'strict'), cm];
    expect(unsealSealed(objs, ['s.yaml', 'c.yaml'], undefined, {}, at)).toEqual({ objects: objs, files: [] });
  });

  it('replaces each SealedSecret by its Secret, in place, other objects untouched', () => {
    const r = unsealSealed([cm, sealed('db', 'a', 'strict')], ['c.yaml', 's.yaml'], keys, {}, at);
    expect(r.files).toEqual(['s.yaml']);
    expect(r.objects[0]).toBe(cm);
    expect(r.objects[1]).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'a', labels: { app: 'db' } },
      data: { token: Buffer.from(CANARY).toString('base64') },
    });
  });

  it('checks scope against the namespace the object is applied in (targetNamespace, Helm release namespace)', () => {
    // Sealed for b, written without a namespace, moved to b by targetNamespace: opens.
    expect(
      unsealSealed([sealed('db', 'b', 'strict', undefined)], ['s'], keys, { targetNamespace: 'b' }, at).objects[0]?.metadata.namespace,
    ).toBe('b');
    // Sealed for a, moved to b by targetNamespace: refused.
    const moved = () => unsealSealed([sealed('db', 'a', 'strict')], ['t/s.yaml'], keys, { targetNamespace: 'b' }, at);
    expect(moved).toThrow(RevisionError);
    expect(moved).toThrow(
      /refused at decrypt: t\/s\.yaml: SealedSecret b\/db: encryptedData\.token: none of the 1 key\(s\) opens it for strict scope as "b\/db"/,
    );
    // A cluster-wide one opens anywhere.
    expect(
      unsealSealed([sealed('db', 'a', 'cluster-wide')], ['s'], keys, { targetNamespace: 'b' }, at).objects[0]?.metadata.namespace,
    ).toBe('b');
    // A Helm sync: the release namespace for objects without one; an explicit namespace stays.
    const helm = { helm: { release: { namespace: 'rel' } } } as unknown as Parameters<typeof unsealSealed>[3];
    expect(unsealSealed([sealed('db', 'rel', 'strict', undefined)], ['s'], keys, helm, at).objects[0]?.metadata.namespace).toBe('rel');
  });

  it('refuses the whole revision on any bad SealedSecret, naming each, never a value', () => {
    const copied = sealed('db', 'a', 'namespace-wide', 'b');
    try {
      unsealSealed([sealed('ok', 'a', 'strict'), copied, sealed('x', 'a', 'strict', 'c')], ['1.yaml', '2.yaml', '3.yaml'], keys, {}, at);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(RevisionError);
      const err = e as RevisionError;
      expect(err.stage).toBe('decrypt');
      // Typed cause, so the decrypt-failure metric counts a reason per file.
      expect(err.cause).toBeInstanceOf(AggregateDecryptError);
      expect((err.cause as AggregateDecryptError).errors.map((x) => [x.file, x.reason])).toEqual([
        ['2.yaml', 'no-key'],
        ['3.yaml', 'no-key'],
      ]);
      expect(err.problems.map((p) => p.split(': encryptedData')[0])).toEqual(['2.yaml: SealedSecret b/db', '3.yaml: SealedSecret c/x']);
      expect(err.message).not.toContain(CANARY);
    }
  });
});
