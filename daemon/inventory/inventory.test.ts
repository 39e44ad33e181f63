import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  checkPrune,
  diff,
  formatEntry,
  inventoryData,
  inventoryFromData,
  inventoryOf,
  objectOf,
  parseEntry,
  PruneGuardError,
  type Inventory,
} from './inventory.js';

const cm = (name: string, ns = 'app') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } });
const inv = (names: string[], revision = 'r1'): Inventory =>
  inventoryOf(
    's',
    revision,
    names.map((n) => cm(n)),
  );

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
    fc.assert(
      fc.property(
        fc.record({
          group: fc.oneof(fc.constant(''), dns),
          kind: fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/),
          namespace: fc.oneof(fc.constant(''), dns),
          name: dns,
          version: fc.stringMatching(/^v[1-9](beta[1-9])?$/),
        }),
        (e) => {
          expect(parseEntry(formatEntry(e))).toEqual(e);
          const o = objectOf(e);
          expect(formatEntry(parseEntry(formatEntry(e)))).toBe(formatEntry(e));
          expect(o.kind).toBe(e.kind);
        },
      ),
      { seed: 42 },
    );
  });
  it('rejects malformed entries', () => {
    expect(() => parseEntry('a_b_c')).toThrow(/5/);
  });
});

describe('diff and prune guard', () => {
  it('stale = old objects no longer present, ignoring version changes', () => {
    const old = inventoryOf('s', 'r1', [
      cm('a'),
      cm('b'),
      { apiVersion: 'example.com/v1beta1', kind: 'W', metadata: { name: 'w', namespace: 'app' } },
    ]);
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

/** The ConfigMap release 414b303 wrote (testdata/README.md). */
const legacyCm = JSON.parse(readFileSync(new URL('./testdata/inventory-414b303.json', import.meta.url), 'utf8')) as {
  data: Record<string, string>;
};
const rbac = (kind: string, name: string, namespace = 'i23-legacy') => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, namespace },
});

describe('inventory ConfigMap data', () => {
  it('reads an inventory written by release 414b303, the "_" names included, in today\'s spelling', () => {
    const old = inventoryFromData('i23-legacy', legacyCm.data);
    expect(old.unparseable).toBeUndefined();
    expect(old.revision).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(
      old.entries
        .map(parseEntry)
        .map((e) => `${e.kind}/${e.namespace}/${e.name}`)
        .sort(),
    ).toEqual([
      'ClusterRole//i23-legacy:view_all',
      'ConfigMap/i23-legacy/gone',
      'ConfigMap/i23-legacy/keep',
      'Namespace//i23-legacy',
      'Role/i23-legacy/app_reader',
      'Role/i23-legacy/reader',
      'RoleBinding/i23-legacy/system:robot.read',
      'ServiceAccount/i23-legacy/robot',
    ]);
    expect(old.entries).toContain('rbac.authorization.k8s.io_Role_i23-legacy_app%5Freader_v1');
    expect(old.pending).toEqual(['_ConfigMap_i23-legacy_half-applied_v1']);
    // Names without "_" keep the very string the old release wrote.
    expect(old.entries).toContain('_ConfigMap_i23-legacy_keep_v1');
  });
  it('prunes exactly what left Git from an inventory written by release 414b303', () => {
    const old = inventoryFromData('i23-legacy', legacyCm.data);
    const next = inventoryOf('i23-legacy', 'r2', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'i23-legacy' } },
      cm('keep', 'i23-legacy'),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'i23-legacy' } },
      rbac('Role', 'reader'),
      rbac('RoleBinding', 'system:robot.read'),
    ]);
    expect(
      checkPrune(old, next)
        .map((e) => `${e.kind}/${e.name}`)
        .sort(),
    ).toEqual(['ClusterRole/i23-legacy:view_all', 'ConfigMap/gone', 'Role/app_reader']);
    const same = inventoryOf('i23-legacy', 'r2', [rbac('Role', 'app_reader'), rbac('ClusterRole', 'i23-legacy:view_all', '')]);
    expect(diff({ ...old, entries: old.entries.filter((e) => e.includes('rbac')) }, same).map((e) => e.name)).toEqual([
      'system:robot.read',
      'reader',
    ]);
  });
  it('sets an unreadable line aside, keeps it in every save, and never prunes for it', () => {
    const data = { ...legacyCm.data, entries: `${legacyCm.data.entries}\nnot-an-entry\n_ConfigMap_i23-legacy_x%41_v1` };
    const old = inventoryFromData('i23-legacy', data);
    expect(old.unparseable?.map((u) => u.line)).toEqual(['_ConfigMap_i23-legacy_x%41_v1', 'not-an-entry']);
    expect(old.unparseable?.[1]?.problem).toMatch(/expected 5 "_"-separated fields, got 1/);
    expect(old.entries).toHaveLength(8);
    const saved = inventoryData({ ...inventoryOf('i23-legacy', 'r2', [cm('keep', 'i23-legacy')]), unparseable: old.unparseable ?? [] });
    expect(saved.unparseable).toBe('_ConfigMap_i23-legacy_x%41_v1\nnot-an-entry');
    expect(saved.entries).toBe('_ConfigMap_i23-legacy_keep_v1');
    // Read back: still set aside; a line repaired in place under `unparseable` is an entry again.
    expect(inventoryFromData('s', saved).unparseable).toHaveLength(2);
    const repaired = inventoryFromData('s', { ...saved, unparseable: '_ConfigMap_i23-legacy_x_v1\nnot-an-entry' });
    expect(repaired.entries).toEqual(['_ConfigMap_i23-legacy_keep_v1', '_ConfigMap_i23-legacy_x_v1']);
    expect(repaired.unparseable?.map((u) => u.line)).toEqual(['not-an-entry']);
  });
});

describe('reading stored lines (the canonical fast path)', () => {
  // What every line reads as, by parse + format alone: the fast path must agree with it.
  const reference = (line: string): { entry?: string; bad?: true } => {
    try {
      return { entry: formatEntry(parseEntry(line)) };
    } catch {
      return { bad: true };
    }
  };
  it('reads any line as parse + format would', () => {
    const piece = fc.oneof(
      fc.constantFrom('', '_', '%', '%5F', '%25', '%0A', '%5f', ' ', '\t', '\r', '\u007f', 'a', 'ConfigMap', 'v1', 'é', '.', ':'),
      fc.string({ maxLength: 4 }),
    );
    const field = fc.array(piece, { maxLength: 3 }).map((xs) => xs.join(''));
    // Mostly lines of 4–6 fields (empty ones included), some free text.
    const line = fc.oneof(
      fc.array(field, { minLength: 4, maxLength: 6 }).map((xs) => xs.join('_')),
      fc.array(piece, { maxLength: 12 }).map((xs) => xs.join('')),
    );
    fc.assert(
      fc.property(line, (l) => {
        fc.pre(l !== '' && !l.includes('\n'));
        const got = inventoryFromData('s', { entries: l });
        const want = reference(l);
        if (want.entry !== undefined) expect(got.entries).toEqual([want.entry]);
        else expect(got.unparseable?.map((u) => u.line)).toEqual([l]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('inventoryOf given the stored inventory', () => {
  it('is the same sorted inventory, whether the set is unchanged or not', () => {
    const old = inv(['b', 'a', 'c']);
    for (const names of [
      ['c', 'a', 'b'],
      ['c', 'a', 'd'],
      ['a', 'b'],
      ['a', 'b', 'c', 'd'],
    ]) {
      const objs = names.map((n) => cm(n));
      expect(inventoryOf('s', 'r2', objs, old)).toEqual(inventoryOf('s', 'r2', objs));
      expect(diff(old, inventoryOf('s', 'r2', objs, old))).toEqual(diff(old, inventoryOf('s', 'r2', objs)));
    }
  });
});
