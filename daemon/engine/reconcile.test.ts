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
