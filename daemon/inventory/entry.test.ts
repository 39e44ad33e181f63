import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatEntry, identity, InventoryFormatError, parseEntry, type InventoryEntry } from './entry.js';

// The character sets apimachinery allows per field (k8s.io/apimachinery/pkg/util/validation,
// pkg/api/validation/path; apiextensions' CRD and kube-aggregator's APIService validation).
const label = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const dns1123Label = fc.stringMatching(new RegExp(`^${label}$`));
const dns1123Subdomain = fc.stringMatching(new RegExp(`^${label}(\\.${label}){0,3}$`)).filter((s) => s.length <= 253);
const dns1035Label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
// Built-in kinds are Go identifiers, CRD kinds a DNS-1035 label once lower-cased.
const kind = fc.stringMatching(/^[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/);
// RBAC and other path-segment names: any text but `.`, `..`, and no `/` or `%`.
const pathSegment = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 300 })
  .filter((s) => s !== '.' && s !== '..' && !s.includes('/') && !s.includes('%'));
// Dense in the characters the encoding is about, `%` included (the codec holds for any text).
const tricky = fc.string({
  unit: fc.constantFrom('_', '%', '\n', '\r', ' ', '\t', '\u007f', '\u0000', 'a', '.', ':', '5', 'F', 'é', '😀'),
  minLength: 1,
  maxLength: 40,
});
const legal: fc.Arbitrary<InventoryEntry> = fc.record({
  group: fc.oneof(fc.constant(''), dns1123Subdomain),
  kind,
  namespace: fc.oneof(fc.constant(''), dns1123Label),
  name: fc.oneof(dns1123Subdomain, dns1123Label, pathSegment),
  version: dns1035Label,
});
const anyText: fc.Arbitrary<InventoryEntry> = fc.record({
  group: fc.oneof(fc.constant(''), tricky),
  kind: tricky,
  namespace: fc.oneof(fc.constant(''), tricky),
  name: tricky,
  version: tricky,
});
/** What release 414b303 wrote: the bare fields joined by `_`. */
const legacy = (e: InventoryEntry): string => [e.group, e.kind, e.namespace, e.name, e.version].join('_');

describe('inventory entry encoding', () => {
  it('round-trips every entry Kubernetes allows, as one line of exactly five fields', () => {
    fc.assert(
      fc.property(fc.oneof(legal, anyText), (e) => {
        const s = formatEntry(e);
        expect(parseEntry(s)).toEqual(e);
        expect(s.split('_')).toHaveLength(5);
        expect(s).not.toMatch(/[\u0000-\u0020\u007f]/);
      }),
      { seed: 23, numRuns: 2000 },
    );
  });
  it('gives two objects the same identity only when they are the same object', () => {
    const pair = fc.tuple(fc.oneof(legal, anyText), fc.oneof(legal, anyText));
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const same = a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
        expect(identity(a) === identity(b)).toBe(same);
        expect(formatEntry(a) === formatEntry(b)).toBe(same && a.version === b.version);
      }),
      { seed: 23, numRuns: 2000 },
    );
    // The shapes that collided in the old format.
    const role = { group: 'rbac.authorization.k8s.io', kind: 'Role', version: 'v1' };
    expect(identity({ ...role, namespace: 'a', name: 'b_c' })).not.toBe(identity({ ...role, namespace: 'a_b', name: 'c' }));
  });
  it('reads every entry of the older format: a name with "_" or none, any legal character', () => {
    fc.assert(
      fc.property(
        legal.filter((e) => !e.name.includes('\n')),
        (e) => {
          expect(parseEntry(legacy(e))).toEqual(e);
        },
      ),
      { seed: 23, numRuns: 2000 },
    );
    expect(parseEntry('rbac.authorization.k8s.io_Role_team-a_app_reader_v1')).toEqual({
      group: 'rbac.authorization.k8s.io',
      kind: 'Role',
      namespace: 'team-a',
      name: 'app_reader',
      version: 'v1',
    });
    expect(parseEntry('rbac.authorization.k8s.io_ClusterRole__x:__y__v1').name).toBe('x:__y_');
    // The old writer left spaces and control characters in names as they were.
    expect(parseEntry('rbac.authorization.k8s.io_Role_ns_a b\tc_v1').name).toBe('a b\tc');
  });
  it('writes the old spelling for names the old format could hold, so upgrades keep their entries', () => {
    const plain = legal.filter((e) => !/[%_\u0000-\u0020\u007f]/.test(Object.values(e).join('')));
    fc.assert(
      fc.property(plain, (e) => {
        expect(formatEntry(e)).toBe(legacy(e));
      }),
      { seed: 23, numRuns: 500 },
    );
    expect(formatEntry({ group: 'rbac.authorization.k8s.io', kind: 'Role', namespace: 'ns', name: 'app_reader', version: 'v1' })).toBe(
      'rbac.authorization.k8s.io_Role_ns_app%5Freader_v1',
    );
    expect(formatEntry({ group: '', kind: 'ConfigMap', namespace: 'ns', name: 'a b\nc%', version: 'v1' })).toBe(
      '_ConfigMap_ns_a%20b%0Ac%25_v1',
    );
  });
  it('refuses what it cannot read with certainty, and only with InventoryFormatError', () => {
    const refused = [
      'a_b_c',
      '_ConfigMap_ns_x%_v1', // bare %
      '_ConfigMap_ns_x%4_v1',
      '_ConfigMap_ns_x%41_v1', // escape of a character never escaped: not ours
      '_ConfigMap_ns_x%5f_v1', // lower-case hex: not ours
      '_ConfigMap_ns__v1', // no name
      '_ConfigMap_ns_x_', // no version
      '_ConfigMap_Team-A_a_b_v1', // 6 fields, but the namespace is no DNS label: no guessing
      'rbac.authorization.k8s.io_Role_ns_a_b_V1', // version no DNS-1035 label
      'rbac.authorization.k8s.io_Role_ns_a%5Fb_c_v1', // 6 fields with an escape: neither format
      'apps_Deploy ment_ns_a_b_v1',
      '_ConfigMap_ns_a_v1\r', // a raw control character outside the name: damage, not an old entry
      'apps_Deploy ment_ns_a_v1',
    ];
    for (const s of refused) expect(() => parseEntry(s), s).toThrow(InventoryFormatError);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('_', '%', '5', 'F', '2', 'a', 'A', 'v1', '.', '-', ' ', '\n') }), (s) => {
        let e: InventoryEntry;
        try {
          e = parseEntry(s);
        } catch (err) {
          expect(err).toBeInstanceOf(InventoryFormatError);
          return;
        }
        expect(parseEntry(formatEntry(e))).toEqual(e);
      }),
      { seed: 23, numRuns: 3000 },
    );
  });
});
