import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPrune, diff, formatEntry, inventoryOf, objectOf, parseEntry, PruneGuardError, type Inventory } from './inventory.js';

const cm = (name: string, ns = 'app') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } });
const inv = (names: string[], revision = 'r1'): Inventory => inventoryOf('s', revision, names.map((n) => cm(n)));

describe('inventory entries', () => {
  it('formats group_kind_namespace_name_version, sorted and unique', () => {
    const i = inventoryOf('s', 'abc', [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
    ]);
    expect(i.entries).toEqual(['_Namespace__app_v1', 'apps_Deployment_app_web_v1']);
  });
  it('round-trips any valid entry', () => {
    const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/);
    fc.assert(fc.property(
      fc.record({ group: fc.oneof(fc.constant(''), dns), kind: fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/), namespace: fc.oneof(fc.constant(''), dns), name: dns, version: fc.stringMatching(/^v[1-9](beta[1-9])?$/) }),
      (e) => {
        expect(parseEntry(formatEntry(e))).toEqual(e);
        const o = objectOf(e);
        expect(formatEntry(parseEntry(formatEntry(e)))).toBe(formatEntry(e));
        expect(o.kind).toBe(e.kind);
      },
    ), { seed: 42 });
  });
  it('rejects malformed entries', () => {
    expect(() => parseEntry('a_b_c')).toThrow(/5/);
  });
});

describe('diff and prune guard', () => {
  it('stale = old objects no longer present, ignoring version changes', () => {
    const old = inventoryOf('s', 'r1', [cm('a'), cm('b'), { apiVersion: 'example.com/v1beta1', kind: 'W', metadata: { name: 'w', namespace: 'app' } }]);
    const next = inventoryOf('s', 'r2', [cm('a'), { apiVersion: 'example.com/v1', kind: 'W', metadata: { name: 'w', namespace: 'app' } }]);
    expect(diff(old, next).map(formatEntry)).toEqual(['_ConfigMap_app_b_v1']);
    expect(diff(undefined, next)).toEqual([]);
  });
  it('allows pruning up to the ratio', () => {
    expect(checkPrune(inv(['a', 'b', 'c', 'd']), inv(['a', 'b']))).toHaveLength(2);
  });
  it('refuses above the ratio with counts, unless allowed', () => {
    let err: unknown;
    try {
      checkPrune(inv(['a', 'b', 'c', 'd']), inv(['a']));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PruneGuardError);
    expect(err).toMatchObject({ stale: 3, total: 4, next: 1 });
    expect(checkPrune(inv(['a', 'b', 'c', 'd']), inv(['a']), { allow: true })).toHaveLength(3);
    expect(checkPrune(inv(['a', 'b', 'c', 'd']), inv(['a']), { maxPruneRatio: 0.8 })).toHaveLength(3);
  });
  it('refuses an empty new set when the old one was not empty', () => {
    expect(() => checkPrune(inv(['a']), inv([]), { maxPruneRatio: 1 })).toThrow(/no objects/);
    expect(checkPrune(inv([]), inv([]))).toEqual([]);
  });
});
