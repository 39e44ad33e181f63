import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { followEvents } from './events.js';
import { setLeader } from './leader.js';
import { metricsText } from './registry.js';
import { sampleValue } from '../../test/support/exposition.js';

const text = async (): Promise<string> => (await metricsText()).body;
afterEach(() => setLeader(true));

describe('metrics from the event bus', () => {
  it("starts the syncs' series at 0, then counts outcomes by result, stage and decrypt reason, and follows leadership", async () => {
    const bus = new EventBus();
    const off = followEvents(bus, ['ev-a']);
    let t = await text();
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'ev-a', result: 'success' })).toBe(0);
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'ev-a', reason: 'tampered' })).toBe(0);
    const changes = { created: 0, configured: 0, unchanged: 1, deleted: 0, skipped: 0 };
    bus.publish({
      type: 'sync.applied',
      sync: 'ev-a',
      revision: 'a'.repeat(40),
      at: '',
      objects: 1,
      changes,
      pruned: 0,
      decryptedFiles: 0,
      warnings: [],
      durationMs: 300,
    });
    bus.publish({
      type: 'sync.refused',
      sync: 'ev-a',
      revision: 'b'.repeat(40),
      at: '',
      stage: 'decrypt',
      message: 'm',
      decryptFailures: ['tampered', 'no-key'],
      durationMs: 10,
    });
    bus.publish({
      type: 'sync.refused',
      sync: 'ev-a',
      revision: 'b'.repeat(40),
      at: '',
      stage: 'apply',
      message: 'm',
      decryptFailures: [],
      durationMs: 10,
    });
    bus.publish({ type: 'leader.changed', leader: false, at: '' });
    t = await text();
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'ev-a', result: 'success' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_sum', { sync: 'ev-a', result: 'success' })).toBeCloseTo(0.3);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'ev-a', result: 'failure' })).toBe(2);
    expect(sampleValue(t, 'gitops_seal_sync_failures_total', { sync: 'ev-a', stage: 'decrypt' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_sync_failures_total', { sync: 'ev-a', stage: 'apply' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'ev-a', reason: 'tampered' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'ev-a', reason: 'no-key' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_leader')).toBe(0);
    off();
    // Unsubscribed: the gauge no longer follows this bus.
    bus.publish({ type: 'leader.changed', leader: true, at: '' });
    expect(sampleValue(await text(), 'gitops_seal_leader')).toBe(0);
  });

  it('observes each phase of a timed reconcile, and the untimed rest as other, by result', async () => {
    const bus = new EventBus();
    const off = followEvents(bus, ['ev-b']);
    const before = (phase: string): number =>
      sampleValue(t0, 'gitops_seal_reconcile_phase_seconds_count', { phase, result: 'unchanged' }) ?? 0;
    const t0 = await text();
    bus.publish({
      type: 'sync.timed',
      sync: 'ev-b',
      revision: 'c'.repeat(40),
      result: 'unchanged',
      totalMs: 30,
      phases: { queue: 4, walk: 20 },
      otherMs: 6,
      at: '',
    });
    const t = await text();
    expect(sampleValue(t, 'gitops_seal_reconcile_phase_seconds_count', { phase: 'walk', result: 'unchanged' })).toBe(before('walk') + 1);
    expect(sampleValue(t, 'gitops_seal_reconcile_phase_seconds_count', { phase: 'other', result: 'unchanged' })).toBe(before('other') + 1);
    expect(
      sampleValue(t, 'gitops_seal_reconcile_phase_seconds_bucket', { phase: 'walk', result: 'unchanged', le: '0.025' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(t, 'gitops_seal_reconcile_phase_seconds_bucket', { phase: 'walk', result: 'unchanged', le: '0.01' })).toBe(
      sampleValue(t0, 'gitops_seal_reconcile_phase_seconds_bucket', { phase: 'walk', result: 'unchanged', le: '0.01' }) ?? 0,
    );
    expect(t).not.toMatch(/gitops_seal_reconcile_phase_seconds\w*\{[^}]*sync=/);
    off();
  });

  it("counts a source's thin-pack fallbacks from the running totals its fetch events carry", async () => {
    const bus = new EventBus();
    const off = followEvents(bus, [], ['ev-src']);
    const fallbacks = async (): Promise<number | undefined> =>
      sampleValue(await text(), 'gitops_seal_source_thin_pack_fallbacks_total', { source: 'ev-src' });
    expect(await fallbacks()).toBe(0);
    const fetched = (total: number): void =>
      bus.publish({
        type: 'source.fetched',
        source: 'ev-src',
        commit: 'd'.repeat(40),
        ref: 'refs/heads/main',
        fetches: 1,
        skippedFetches: 0,
        thinPackFallbacks: total,
        at: '',
      });
    fetched(0);
    fetched(1);
    fetched(1);
    fetched(3);
    expect(await fallbacks()).toBe(3);
    off();
    // A second daemon in the same process with a source of the same name starts from its own 0.
    const other = new EventBus();
    const off2 = followEvents(other, [], ['ev-src']);
    other.publish({
      type: 'source.fetched',
      source: 'ev-src',
      commit: 'd'.repeat(40),
      ref: 'refs/heads/main',
      fetches: 1,
      skippedFetches: 0,
      thinPackFallbacks: 1,
      at: '',
    });
    expect(await fallbacks()).toBe(4);
    off2();
  });
});
