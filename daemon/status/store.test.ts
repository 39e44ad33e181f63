import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import type { SyncApplied, SyncRefused } from '../events/index.js';
import { StatusStore } from './store.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const applied = (revision: string, at: string, warnings: string[] = []): SyncApplied => ({
  type: 'sync.applied',
  sync: 'apps',
  revision,
  at,
  objects: 4,
  changes: { created: 4, configured: 0, unchanged: 0, deleted: 0, skipped: 0 },
  pruned: 0,
  decryptedFiles: 1,
  warnings,
  durationMs: 5,
});
const refused = (revision: string, at: string): SyncRefused => ({
  type: 'sync.refused',
  sync: 'apps',
  revision,
  at,
  stage: 'decrypt',
  message: 'sync "apps" revision bbbbbbbbbbbb refused at decrypt: apps/secret.yaml: tampered or corrupted',
  decryptFailures: ['tampered'],
  durationMs: 2,
});

function fed(): { bus: EventBus; store: StatusStore } {
  const bus = new EventBus();
  const store = new StatusStore({
    sources: [{ name: 'repo', url: 'https://git.example/repo.git' }],
    syncs: [{ name: 'apps', source: 'repo' }],
  });
  store.follow(bus);
  return { bus, store };
}

describe('StatusStore', () => {
  it('starts with a row per configured source and sync, not ready', () => {
    const { store } = fed();
    const s = store.snapshot();
    expect(s.sources).toEqual([{ name: 'repo', url: 'https://git.example/repo.git', fetches: 0, skippedFetches: 0, thinPackFallbacks: 0 }]);
    expect(s.syncs).toEqual([{ name: 'apps', source: 'repo', objects: 0, driftCorrections: 0, ready: false, history: [] }]);
    expect(s).toMatchObject({ leader: true, images: [], imageUpdates: [], registries: {} });
    expect(s.leaderElection).toBeUndefined();
    expect(store.ready()).toBe(false);
  });

  it('follows a sync through attempts, a refusal, drift corrections and warnings', () => {
    const { bus, store } = fed();
    bus.publish({ type: 'sync.started', sync: 'apps', revision: A, at: T(1) });
    expect(store.sync('apps')).toMatchObject({ attemptedRevision: A, lastAttemptAt: T(1), ready: false });
    bus.publish(applied(A, T(2), ['inventory line 3 unreadable']));
    expect(store.ready()).toBe(true);
    bus.publish({ type: 'drift.corrected', sync: 'apps', objects: 2, at: T(3) });
    bus.publish({ type: 'drift.corrected', sync: 'apps', objects: 1, at: T(4) });
    bus.publish({ type: 'sync.started', sync: 'apps', revision: B, at: T(5) });
    bus.publish(refused(B, T(5)));
    bus.publish(refused(B, T(6)));
    const s = store.snapshot().syncs[0];
    // The refused revision is attempted; the last good one stays applied and ready.
    expect(s).toMatchObject({
      appliedRevision: A,
      attemptedRevision: B,
      objects: 4,
      lastAppliedAt: T(2),
      driftCorrections: 3,
      ready: true,
      warnings: ['inventory line 3 unreadable'],
    });
    expect(s?.lastError).toEqual({ stage: 'decrypt', message: refused(B, T(6)).message, at: T(6), revision: B });
    expect(s?.history).toEqual([
      { revision: B, result: 'refused', stage: 'decrypt', message: refused(B, T(6)).message, count: 2, firstAt: T(5), lastAt: T(6) },
      { revision: A, result: 'applied', objects: 4, count: 1, firstAt: T(2), lastAt: T(2) },
    ]);
    // Applied again: the error and the warnings go.
    bus.publish(applied(B, T(7)));
    const after = store.snapshot().syncs[0];
    expect(after?.lastError).toBeUndefined();
    expect(after?.warnings).toBeUndefined();
    expect(after?.history?.[0]).toMatchObject({ revision: B, result: 'applied', count: 1 });
  });

  it("follows a source's fetches and failures", () => {
    const { bus, store } = fed();
    bus.publish({ type: 'source.failed', source: 'repo', message: 'git fetch: connection refused', at: T(1) });
    expect(store.snapshot().sources[0]?.lastError).toEqual({ message: 'git fetch: connection refused', at: T(1) });
    bus.publish({
      type: 'source.fetched',
      source: 'repo',
      commit: A,
      ref: 'refs/heads/main',
      fetches: 2,
      skippedFetches: 1,
      thinPackFallbacks: 1,
      at: T(2),
    });
    expect(store.snapshot().sources[0]).toEqual({
      name: 'repo',
      url: 'https://git.example/repo.git',
      commit: A,
      ref: 'refs/heads/main',
      lastFetchAt: T(2),
      fetches: 2,
      skippedFetches: 1,
      thinPackFallbacks: 1,
    });
  });

  it('a follower is not leading and always ready; leadership comes from the bus', () => {
    const { bus, store } = fed();
    bus.publish({ type: 'leader.changed', leader: false, at: T(1) });
    expect(store.leader).toBe(false);
    expect(store.snapshot().leader).toBe(false);
    expect(store.ready()).toBe(true);
    bus.publish({ type: 'leader.changed', leader: true, at: T(2) });
    expect(store.ready()).toBe(false);
  });

  it('snapshots are copies: changing one changes neither the store nor the next snapshot', () => {
    const { bus, store } = fed();
    bus.publish(applied(A, T(1), ['w']));
    const s = store.snapshot();
    s.syncs[0]?.warnings?.push('x');
    s.syncs[0]?.history?.splice(0);
    if (s.syncs[0]) s.syncs[0].objects = 99;
    expect(store.snapshot().syncs[0]).toMatchObject({ objects: 4, warnings: ['w'] });
    expect(store.snapshot().syncs[0]?.history).toHaveLength(1);
  });

  it('ignores events of syncs and sources it has no row for, and reads providers at snapshot time', () => {
    const { bus, store } = fed();
    bus.publish({ ...applied(A, T(1)), sync: 'unknown' });
    bus.publish({
      type: 'source.fetched',
      source: 'unknown',
      commit: A,
      ref: 'r',
      fetches: 1,
      skippedFetches: 0,
      thinPackFallbacks: 0,
      at: T(1),
    });
    expect(store.snapshot().syncs.map((s) => s.name)).toEqual(['apps']);
    let holder = 'a';
    store.provide({ leaderElection: () => ({ lease: 'ns/l', identity: 'me', holder }) });
    expect(store.snapshot().leaderElection).toEqual({ lease: 'ns/l', identity: 'me', holder: 'a' });
    holder = 'b';
    expect(store.snapshot().leaderElection?.holder).toBe('b');
  });

  it('shows the last reconcile phase breakdown per sync, replaced by the next, as a copy', () => {
    const { bus, store } = fed();
    const timed = (revision: string, result: 'applied' | 'unchanged', apply: number) =>
      bus.publish({ type: 'sync.timed', sync: 'apps', revision, result, totalMs: 100, phases: { queue: 1, apply }, otherMs: 2, at: T(1) });
    timed(A, 'applied', 80);
    expect(store.snapshot().syncs[0]?.lastReconcile).toEqual({
      revision: A,
      result: 'applied',
      totalMs: 100,
      phases: { queue: 1, apply: 80 },
      otherMs: 2,
      at: T(1),
    });
    timed(B, 'unchanged', 0);
    const s = store.snapshot();
    expect(s.syncs[0]?.lastReconcile).toMatchObject({ revision: B, result: 'unchanged', phases: { apply: 0 } });
    if (s.syncs[0]?.lastReconcile) s.syncs[0].lastReconcile.phases.apply = 5;
    expect(store.snapshot().syncs[0]?.lastReconcile?.phases.apply).toBe(0);
  });
});
