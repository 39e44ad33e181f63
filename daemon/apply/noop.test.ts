import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { isNoopApply } from './compare.js';

const owned = (fieldsV1: Record<string, unknown>, apiVersion = 'v1') => [
  { manager: 'gitops-seal', operation: 'Apply' as const, apiVersion, fieldsV1: fieldsV1 as never },
  { manager: 'kube-controller-manager', operation: 'Update' as const, apiVersion, fieldsV1: { 'f:data': { 'f:other': {} } } as never },
];
const desired: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', labels: { a: 'b' } },
  data: { k: 'v', list: 'x' },
};
const fields = { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:data': { 'f:k': {}, 'f:list': {} } };
const live = (over: Partial<KubeObject> = {}, f: Record<string, unknown> = fields): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', resourceVersion: '5', labels: { a: 'b', extra: 'theirs' }, managedFields: owned(f) },
  data: { k: 'v', list: 'x', other: 'set by someone else' },
  ...over,
});

describe('isNoopApply', () => {
  it('is true when we own exactly the desired leaves and values match', () => {
    expect(isNoopApply(desired, live(), 'gitops-seal')).toBe(true);
  });
  it('is false when a value differs, a field is new, or a field would be released', () => {
    expect(isNoopApply(desired, live({ data: { k: 'changed', list: 'x' } }), 'gitops-seal')).toBe(false);
    expect(isNoopApply({ ...desired, data: { k: 'v', list: 'x', added: '1' } }, live(), 'gitops-seal')).toBe(false);
    expect(isNoopApply({ ...desired, data: { k: 'v' } }, live(), 'gitops-seal')).toBe(false);
  });
  it('is false when we never applied it, or under another apiVersion', () => {
    expect(isNoopApply(desired, { ...live(), metadata: { ...live().metadata, managedFields: [] } }, 'gitops-seal')).toBe(false);
    const other = live();
    other.metadata.managedFields = owned(fields, 'v2');
    expect(isNoopApply(desired, other, 'gitops-seal')).toBe(false);
  });
  it('treats lists as atomic: a defaulted list item makes it false', () => {
    const d: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
    const l: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 's',
        managedFields: owned({ 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } } } }),
      },
      spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
    };
    expect(isNoopApply(d, l, 'gitops-seal')).toBe(false);
    l.spec = { ports: [{ port: 80 }] };
    expect(isNoopApply(d, l, 'gitops-seal')).toBe(true);
  });
  it('a Secret given as stringData is never skipped (stringData is not stored)', () => {
    const s: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { p: 'x' } };
    const l: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', managedFields: owned({ 'f:stringData': { 'f:p': {} } }) },
      data: { p: 'eA==' },
    };
    expect(isNoopApply(s, l, 'gitops-seal')).toBe(false);
  });
});
