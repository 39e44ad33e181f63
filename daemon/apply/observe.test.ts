import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { appliedObject } from './manager_apply.js';

describe('what a write apply reports to its observers', () => {
  it("carries the stored object, hidden from JSON, spread and key listing (it holds a Secret's values)", () => {
    const stored: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { k: 'c2VjcmV0' } };
    const key = { group: '', version: 'v1', kind: 'Secret', namespace: 'n', name: 's' };
    const mapping = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, verbs: [] };
    const loc = { mapping, namespace: 'n', path: '/api/v1/namespaces/n/secrets/s' };
    const a = appliedObject(key, loc, stored);
    expect(a.stored).toBe(stored);
    for (const text of [JSON.stringify(a), JSON.stringify({ ...a }), Object.keys(a).join(',')]) expect(text).not.toContain('c2VjcmV0');
    expect(Object.keys(a)).toEqual(['key', 'loc']);
    expect(() => {
      (a as { stored: unknown }).stored = undefined;
    }).toThrow(TypeError);
  });
});
