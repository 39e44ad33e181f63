import { describe, expect, it } from 'vitest';
import { inventoryOf, type Inventory } from '../inventory/inventory.js';
import type { KubeObject } from '../kube/types.js';
import { guardedPrune } from './prune.js';

const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'a' } });
const cms = (n: number, from = 0): KubeObject[] => Array.from({ length: n }, (_, i) => cm(`c${from + i}`));
const settings = { name: 'apps', prune: true, maxPruneRatio: 0.5, allowEmpty: false };
const old: Inventory = inventoryOf('apps', 'r0', cms(4));

describe('guardedPrune', () => {
  it('prunes what the revision dropped when the guard passes', () => {
    const plan = guardedPrune(old, { revision: 'r1', objects: cms(3) }, settings);
    expect(plan.dropped.map((e) => e.name)).toEqual(['c3']);
    expect(plan.toPrune).toEqual(plan.dropped);
    expect(plan.refused).toBeUndefined();
    expect(plan.next.revision).toBe('r1');
  });

  it('refuses a mass deletion, and an empty revision unless allowEmpty; nothing to prune then', () => {
    const many = guardedPrune(old, { revision: 'r1', objects: cms(1) }, settings);
    expect(many.refused).toBe('sync "apps": refusing to prune 3 of 4 objects (75% > 50%; allow prune to override)');
    expect(many.toPrune).toEqual([]);
    expect(many.dropped).toHaveLength(3);
    const empty = guardedPrune(old, { revision: 'r1', objects: [] }, settings);
    expect(empty.refused).toBe('sync "apps": refusing to prune all 4 objects: the new revision has no objects (allow prune to override)');
    const allowed = guardedPrune(old, { revision: 'r1', objects: [] }, { ...settings, allowEmpty: true });
    expect(allowed.refused).toBeUndefined();
    expect(allowed.toPrune).toHaveLength(4);
  });

  it('with prune off: lists what was dropped, prunes nothing, never refuses', () => {
    const plan = guardedPrune(old, { revision: 'r1', objects: [] }, { ...settings, prune: false });
    expect(plan.dropped).toHaveLength(4);
    expect(plan.toPrune).toEqual([]);
    expect(plan.refused).toBeUndefined();
  });

  it('without a stored inventory nothing was dropped', () => {
    expect(guardedPrune(undefined, { revision: 'r1', objects: cms(2, 10) }, settings)).toMatchObject({ dropped: [], toPrune: [] });
  });
});
