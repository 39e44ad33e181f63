import { describe, expect, it } from 'vitest';
import { validateObject } from './kube-object.js';

const secret = (extra: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'a' },
  ...extra,
});

describe('validateObject: Secret values', () => {
  it('accepts string (and null) data and stringData values', () => {
    expect(validateObject(secret({ data: { a: 'eA==', b: null }, stringData: { c: 'x' } }))).toEqual([]);
  });

  it('refuses non-string values without quoting them (the apiserver would echo them)', () => {
    const bad = validateObject(secret({ stringData: { pin: 1234, on: true, nested: { x: 'y' } }, data: ['x'] }));
    expect(bad).toEqual([
      'data must be a mapping of strings',
      'stringData.pin must be a string, not a number (quote it; the value is not shown)',
      'stringData.on must be a string, not a boolean (quote it; the value is not shown)',
      'stringData.nested must be a string, not a mapping (quote it; the value is not shown)',
    ]);
    expect(bad.join('\n')).not.toContain('1234');
  });

  it('leaves other kinds to the apiserver', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { n: 1 } })).toEqual([]);
  });
});
