import { describe, expect, it } from 'vitest';
import type { ManagedFieldsEntry, KubeObject } from '../kube/types.js';
import { baselineOf, driftOf, FieldSetPool, hasDrifted, leavesOf, ownedFields } from './detect.js';

const M = 'gitops-seal';
const entry = (manager: string, fieldsV1: object, operation: 'Apply' | 'Update' = 'Apply'): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: fieldsV1 as ManagedFieldsEntry['fieldsV1'],
});
const withFields = (obj: KubeObject, ...managedFields: ManagedFieldsEntry[]): KubeObject => ({
  ...obj,
  metadata: { ...obj.metadata, managedFields },
});

// A Secret applied with stringData, as the apiserver stores it: stringData merged into data,
// our managedFields entry naming stringData.
const OURS_SECRET = { 'f:stringData': { '.': {}, 'f:password': {} }, 'f:data': { 'f:blob': {} } };
const stored: KubeObject = withFields(
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'a' },
    data: { password: 'c2VjcmV0', blob: 'YmxvYg==', other: 'b3RoZXI=' },
  },
  entry(M, OURS_SECRET),
);
const data = (o: KubeObject): Record<string, string> => o.data as Record<string, string>;

describe('drift of Secrets written with stringData', () => {
  it('owning stringData.K means owning data.K', () => {
    const fields = ownedFields(stored, M);
    expect(Object.keys(fields?.['f:data'] ?? {}).sort()).toEqual(['.', 'f:blob', 'f:password']);
  });

  it('a changed data value that came from stringData is drift; one we do not own is not', () => {
    const base = baselineOf(stored, M);
    // kubectl patch: data.password goes to kubectl-patch; our stringData entry stays as it was.
    const edited = withFields(
      { ...stored, data: { ...data(stored), password: 'aGFja2Vk' } },
      entry(M, OURS_SECRET),
      entry('kubectl-patch', { 'f:data': { 'f:password': {} } }, 'Update'),
    );
    expect(driftOf(base, edited, M)).toEqual({ changed: ['data.password'], lost: [], owners: [] });
    const theirs = withFields({ ...stored, data: { ...data(stored), other: 'eA==' } }, entry(M, OURS_SECRET));
    expect(hasDrifted(driftOf(base, theirs, M))).toBe(false);
  });

  it('the baseline holds no value: neither serialised nor spread, and no value in its digest bytes', () => {
    const base = baselineOf(stored, M);
    const text = JSON.stringify(base) + JSON.stringify({ ...base });
    for (const v of ['secret', 'c2VjcmV0', 'YmxvYg']) expect(text).not.toContain(v);
    expect(Object.keys(base)).toEqual(['fields']);
    expect(base.digest.length).toBe(16 + 8 * leavesOf(ownedFields(stored, M) ?? {}).length);
    expect(base.digest.toString('latin1')).not.toContain('secret');
  });

  it('other kinds keep their fields as they are', () => {
    const cm = { ...stored, kind: 'ConfigMap' } as KubeObject;
    expect(ownedFields(cm, M)?.['f:data']).toEqual({ 'f:blob': {} });
  });
});

const OURS_CM = { 'f:data': { '.': {}, 'f:k': {}, 'f:q': {} }, 'f:metadata': { 'f:labels': { 'f:gitops-seal.io/sync': {} } } };
const cm = (d: Record<string, string>, labels: Record<string, string> = { 'gitops-seal.io/sync': 's' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'a', labels },
  data: d,
});

describe('drift against the baseline of our own apply', () => {
  const base = baselineOf(withFields(cm({ k: 'v', q: '1' }), entry(M, OURS_CM)), M);

  it('a value we applied, changed by another manager before anyone looked, is drift; so is its loss of ownership', () => {
    // What a LIST right after `kubectl patch` shows: the field is kubectl-patch's now.
    const live = withFields(
      cm({ k: 'hacked', q: '1' }),
      entry(M, { 'f:data': { 'f:q': {} }, 'f:metadata': OURS_CM['f:metadata'] }),
      entry('kubectl-patch', { 'f:data': { 'f:k': {} } }, 'Update'),
    );
    expect(driftOf(base, live, M)).toEqual({ changed: ['data.k'], lost: ['data.k'], owners: ['kubectl-patch'] });
  });

  it('a field taken over with the same value is drift (ownership), a removed one too (value)', () => {
    const taken = withFields(cm({ k: 'v', q: '1' }), entry(M, { 'f:data': { 'f:q': {} } }), entry('other', { 'f:data': { 'f:k': {} } }));
    const d = driftOf(base, taken, M);
    expect(d.changed).toEqual([]);
    expect(d.lost).toEqual(['data.k', 'metadata.labels["gitops-seal.io/sync"]']);
    expect(d.owners).toEqual(['other']);
    const removed = withFields(cm({ q: '1' }), entry(M, OURS_CM));
    expect(driftOf(base, removed, M).changed).toEqual(['data.k']);
  });

  it('fields someone else added are left alone; an unchanged object has no drift; a deleted one has', () => {
    const added = withFields(cm({ k: 'v', q: '1', extra: 'x' }, { 'gitops-seal.io/sync': 's', team: 'payments' }), entry(M, OURS_CM));
    expect(hasDrifted(driftOf(base, added, M))).toBe(false);
    expect(driftOf(base, undefined, M).changed).toEqual(['(deleted)']);
  });

  it('compares with the stored value, not the manifest: a normalized value is no drift', () => {
    const dep = (cpu: string, image: string, finalizers: string[]): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'a', finalizers },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image, resources: { limits: { cpu } } },
              { name: 'side', image: 'x' },
            ],
          },
        },
      },
    });
    const fields = {
      'f:metadata': { 'f:finalizers': { '.': {}, 'v:"keep"': {} } },
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:resources': { 'f:limits': { 'f:cpu': {} } } },
            },
          },
        },
      },
    };
    // We sent cpu "0.5"; the apiserver stored "500m". The baseline is the stored object.
    const b = baselineOf(withFields(dep('500m', 'app:1', ['keep']), entry(M, fields)), M);
    expect(hasDrifted(driftOf(b, withFields(dep('500m', 'app:1', ['keep', 'theirs']), entry(M, fields)), M))).toBe(false);
    expect(driftOf(b, withFields(dep('500m', 'app:2', ['keep']), entry(M, fields)), M).changed).toEqual([
      'spec.template.spec.containers[name=app].image',
    ]);
    expect(driftOf(b, withFields(dep('500m', 'app:1', []), entry(M, fields)), M).changed).toEqual(['metadata.finalizers["keep"]']);
  });

  it('object key order is no drift', () => {
    const a = baselineOf(withFields({ ...cm({}), spec: { m: { x: 1, y: 2 } } }, entry(M, { 'f:spec': { 'f:m': {} } })), M);
    const live = withFields({ ...cm({}), spec: { m: { y: 2, x: 1 } } }, entry(M, { 'f:spec': { 'f:m': {} } }));
    expect(hasDrifted(driftOf(a, live, M))).toBe(false);
  });

  it('objects with the same field set share one tree in a pool; their digests still differ', () => {
    const pool = new FieldSetPool();
    const one = baselineOf(withFields(cm({ k: 'v', q: '1' }), entry(M, structuredClone(OURS_CM))), M, pool);
    const two = baselineOf(withFields(cm({ k: 'w', q: '1' }), entry(M, structuredClone(OURS_CM))), M, pool);
    expect(one.fields).toBe(two.fields);
    expect(one.digest.equals(two.digest)).toBe(false);
    // Each object is compared with its own values.
    expect(hasDrifted(driftOf(one, withFields(cm({ k: 'v', q: '1' }), entry(M, OURS_CM)), M))).toBe(false);
    expect(driftOf(two, withFields(cm({ k: 'v', q: '1' }), entry(M, OURS_CM)), M).changed).toEqual(['data.k']);
  });

  it('an object applied with no fields of ours counts only by existence', () => {
    const b = baselineOf(cm({ k: 'v' }), M);
    expect(hasDrifted(driftOf(b, cm({ k: 'other' }), M))).toBe(false);
    expect(hasDrifted(driftOf(b, undefined, M))).toBe(true);
  });
});
