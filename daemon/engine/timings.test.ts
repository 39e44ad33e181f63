import { describe, expect, it } from 'vitest';
import { CORE_KINDS, kindScopes } from '../../test/support/kind-scopes.js';
import { memoryRevision } from '../../test/support/memory-revision.js';
import { loadRevision } from './load.js';
import type { SyncSettings } from './settings.js';
import { PHASES, PhaseTimer } from './timings.js';

const settings: SyncSettings = {
  name: 'apps',
  path: 'deploy',
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 1000,
  maxPruneRatio: 0.5,
  allowEmpty: false,
};
const cm = (n: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}, namespace: app}\ndata: {k: v}\n`;

describe('PhaseTimer', () => {
  it('adds up repeated phases, keeps the fetch phases it was given, and reports the untimed rest as other', async () => {
    const since = performance.now() - 50; // the webhook arrived 50 ms ago
    const t = new PhaseTimer(since, { queue: 10, negotiate: 5 });
    await t.time('inventory-write', () => new Promise((r) => setTimeout(r, 20)));
    await t.time('inventory-write', () => new Promise((r) => setTimeout(r, 20)));
    await expect(t.time('apply', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    const out = t.finish();
    expect(Object.keys(out.phases)).toEqual(['queue', 'negotiate', 'apply', 'inventory-write']); // PHASES order
    expect(out.phases['inventory-write']).toBeGreaterThanOrEqual(38);
    expect(out.phases.apply).toBeGreaterThanOrEqual(0);
    expect(out.totalMs).toBeGreaterThanOrEqual(90);
    const sum = Object.values(out.phases).reduce((a, b) => a + b, 0);
    expect(out.otherMs).toBeCloseTo(out.totalMs - sum, 0);
  });

  it('knows every phase a reconcile passes, each once', () => {
    expect(new Set(PHASES).size).toBe(PHASES.length);
    expect(PHASES[0]).toBe('queue');
    expect(PHASES.at(-1)).toBe('status');
  });
});

describe('loadRevision with a timer', () => {
  it('times walk, read and parse of a plain directory; a second load with the same blobs reads nothing', async () => {
    const files = { 'deploy/a.yaml': cm('a'), 'deploy/b.yaml': cm('b') };
    const fileCache = new Map();
    const t1 = new PhaseTimer();
    await loadRevision({ settings, revision: memoryRevision(files), keys: {}, mapper: kindScopes(CORE_KINDS), fileCache, timer: t1 });
    expect(Object.keys(t1.phases())).toEqual(['walk', 'read', 'decrypt', 'parse', 'scope']);
    const t2 = new PhaseTimer();
    const rev = memoryRevision(files);
    await loadRevision({ settings, revision: rev, keys: {}, mapper: kindScopes(CORE_KINDS), fileCache, timer: t2 });
    expect(rev.reads).toEqual([]);
    expect(t2.phases().read).toBeUndefined();
  });
});
