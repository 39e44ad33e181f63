import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { driftedPaths, ownedFields } from './detect.js';

// A Secret applied with stringData, as the apiserver stores it: stringData merged into data,
// our managedFields entry naming stringData.
const stored: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'db',
    namespace: 'a',
    managedFields: [
      {
        manager: 'gitops-seal',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:stringData': { '.': {}, 'f:password': {} }, 'f:data': { 'f:blob': {} } },
      },
    ],
  },
  data: { password: 'c2VjcmV0', blob: 'YmxvYg==', other: 'b3RoZXI=' },
} as KubeObject;

describe('drift of Secrets written with stringData', () => {
  it('owning stringData.K means owning data.K', () => {
    const fields = ownedFields(stored, 'gitops-seal');
    expect(Object.keys(fields?.['f:data'] ?? {}).sort()).toEqual(['.', 'f:blob', 'f:password']);
  });

  it('a changed data value that came from stringData is drift; one we do not own is not', () => {
    const base = { fields: ownedFields(stored, 'gitops-seal') ?? {}, stored };
    const edited = {
      ...stored,
      data: { ...(stored as unknown as { data: Record<string, string> }).data, password: 'aGFja2Vk' },
    } as KubeObject;
    expect(driftedPaths(base, edited)).toEqual(['data.password']);
    const theirs = { ...stored, data: { ...(stored as unknown as { data: Record<string, string> }).data, other: 'eA==' } } as KubeObject;
    expect(driftedPaths(base, theirs)).toEqual([]);
  });

  it('other kinds keep their fields as they are', () => {
    const cm = { ...stored, kind: 'ConfigMap' } as KubeObject;
    expect(ownedFields(cm, 'gitops-seal')?.['f:data']).toEqual({ 'f:blob': {} });
  });
});
