import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import type { DesiredState } from './load.js';
import { needsValidation } from './reconcile.js';

const cm = (name: string, v: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'a' },
  data: { v },
});
const state = (objects: KubeObject[]): DesiredState => ({ revision: 'r', objects, decryptedFiles: [], warnings: [] });

describe('needsValidation', () => {
  it('dry-runs everything without a previous revision', () => {
    expect(needsValidation([cm('a', '1'), cm('b', '1')], undefined)).toHaveLength(2);
  });
  it('dry-runs only new and changed objects, key order ignored', () => {
    const prev = state([cm('a', '1'), cm('b', '1'), cm('c', '1')]);
    const reordered: KubeObject = { data: { v: '1' }, metadata: { namespace: 'a', name: 'a' }, kind: 'ConfigMap', apiVersion: 'v1' };
    const out = needsValidation([reordered, cm('b', '2'), cm('d', '1')], prev);
    expect(out.map((o) => o.metadata.name)).toEqual(['b', 'd']);
  });
});

describe('needsValidation, instances kept by the file cache', () => {
  it('skips the same instances without comparing them, and compares re-parsed ones by content', () => {
    const kept = [cm('a', '1'), cm('b', '1')];
    const prev = state([...kept, cm('c', '1'), cm('d', '1')]);
    // c re-parsed unchanged (a new instance, same content), d changed, e new.
    const out = needsValidation([...kept, cm('c', '1'), cm('d', '2'), cm('e', '1')], prev);
    expect(out.map((o) => o.metadata.name)).toEqual(['d', 'e']);
  });
  it('finds nothing when every instance is the previous one', () => {
    const objs = [cm('a', '1'), cm('b', '1')];
    expect(needsValidation([...objs], state(objs))).toEqual([]);
  });
  it('validates an object whose key a kept instance shares, when it differs', () => {
    const a = cm('a', '1');
    const out = needsValidation([a, cm('a', '2')], state([a]));
    expect(out.map((o) => o.data)).toEqual([{ v: '2' }]);
  });
});
