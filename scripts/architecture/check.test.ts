import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkArchitecture, formatResult, passed, type AllowEntry } from './check.js';
import { PROJECT_LAYOUT } from './layout.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));
// The fixtures are laid out like the repository; none of its side doors exist in them.
const LAYOUT = { ...PROJECT_LAYOUT, sideDoors: {} };
const check = (name: string, allow: readonly AllowEntry[] = []) => checkArchitecture(fixture(name), LAYOUT, allow);
const pairs = (name: string) => check(name).violations.map((v) => [v.rule, v.from, v.to]);

describe('architecture check', () => {
  it('passes a tree that keeps the rules', () => {
    const result = check('clean');
    expect(result.violations).toEqual([]);
    expect(passed(result)).toBe(true);
    expect(result.filesScanned).toBe(7);
    expect(formatResult(result, 'allow.ts')).toMatch(/^architecture: ok \(7 files; 0 known violations/);
  });

  it('fails on a cycle between daemon folders, naming every edge of it and the imports that make it', () => {
    const result = check('cycle');
    expect(pairs('cycle')).toEqual([
      ['folder-cycle', 'daemon/a', 'daemon/b'],
      ['folder-cycle', 'daemon/b', 'daemon/a'],
    ]);
    // c → a and a's test → c make no cycle: tests are leaves.
    expect(result.violations[0]!.message).toBe(
      'daemon/a → daemon/b is part of the import cycle {daemon/a, daemon/b} (daemon/a/start.ts:2 → daemon/b/middle.ts)',
    );
  });

  it('fails on product code importing test helpers or test files, not on tests doing so', () => {
    expect(pairs('test-import')).toEqual([
      ['product-imports-test', 'cli/main.ts', 'test/support/helper.ts'],
      ['product-imports-test', 'cli/uses-test-file.ts', 'cli/main.test.ts'],
    ]);
  });

  it('fails on imports past a door, also type-only, dynamic and from tests', () => {
    expect(pairs('bypass')).toEqual([
      ['door-bypass', 'daemon/apply/lazy.ts', 'daemon/kube/client.ts'],
      ['door-bypass', 'daemon/apply/lazy.ts', 'daemon/kube/client.ts'],
      ['door-bypass', 'daemon/apply/manager.ts', 'daemon/kube/client.ts'],
      ['door-bypass', 'daemon/apply/manager.ts', 'daemon/kube/sub/deep.ts'],
      ['door-bypass', 'test/e2e/kube.test.ts', 'daemon/kube/client.ts'],
    ]);
    expect(check('bypass').violations[2]!.message).toBe(
      "daemon/apply/manager.ts:2 imports daemon/kube/client.ts past the door of daemon/kube/ — import from 'daemon/kube/index.js'",
    );
  });

  it('lets a declared side door be entered directly, and fails when the side door is gone', () => {
    const layout = { ...LAYOUT, sideDoors: { 'daemon/kube/sub/deep.ts': 'light', 'daemon/kube/gone.ts': 'renamed' } };
    const result = checkArchitecture(fixture('bypass'), layout, []);
    expect(result.violations.map((v) => v.to)).not.toContain('daemon/kube/sub/deep.ts');
    expect(result.violations).toHaveLength(4);
    expect(result.missingSideDoors).toEqual(['daemon/kube/gone.ts']);
    expect(passed(result)).toBe(false);
  });

  it('tolerates allow-listed violations; one allowed edge is enough to break a cycle', () => {
    const reason = 'being fixed';
    const cycle = check('cycle', [{ rule: 'folder-cycle', from: 'daemon/b', to: 'daemon/a', reason }]);
    expect(cycle.violations).toEqual([]);
    expect(cycle.stale).toEqual([]);
    expect(cycle.allowed).toBe(2);
    // A folder pattern covers every file under it, and only the rule it names.
    const bypass = check('bypass', [{ rule: 'door-bypass', from: 'daemon/apply/', to: 'daemon/kube/', reason }]);
    expect(bypass.violations.map((v) => v.from)).toEqual(['test/e2e/kube.test.ts']);
    const wrongRule = check('bypass', [{ rule: 'product-imports-test', from: 'daemon/apply/', to: 'daemon/kube/', reason }]);
    expect(wrongRule.violations).toHaveLength(5);
  });

  it('fails on allow-list entries that match nothing any more', () => {
    const gone: AllowEntry = { rule: 'folder-cycle', from: 'daemon/kube', to: 'daemon/apply', reason: 'fixed long ago' };
    const result = check('clean', [gone]);
    expect(result.violations).toEqual([]);
    expect(result.stale).toEqual([gone]);
    expect(passed(result)).toBe(false);
    expect(formatResult(result, 'allow.ts')).toContain(
      '✗ stale allow-list entry (matches nothing now — delete it from allow.ts): folder-cycle daemon/kube → daemon/apply (fixed long ago)',
    );
  });
});
