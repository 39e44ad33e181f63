import { afterEach, describe, expect, it } from 'vitest';
import { bump, emptyStats } from '../images/metrics.js';
import {
  initDecryptMetrics,
  initSyncMetrics,
  initWritebackMetrics,
  metricsText,
  observeSync,
  recordDecryptFailures,
  recordWritebackRun,
  setLeader,
  watchStatus,
  type SyncRow,
  type SyncRows,
} from './index.js';
import { parseExposition, sampleValue, samples } from '../../test/support/exposition.js';

const text = async () => (await metricsText()).body;
const unwatchers: (() => void)[] = [];
afterEach(() => {
  for (const u of unwatchers.splice(0)) u();
  setLeader(true);
});

/** Sync rows as the status store keeps them, changed in place by the tests. */
class Rows implements SyncRows {
  private readonly rows: SyncRow[] = [];
  sync(name: string, source: string): SyncRow {
    const row: SyncRow = { name, source, objects: 0, driftCorrections: 0 };
    this.rows.push(row);
    return row;
  }
  syncList(): readonly SyncRow[] {
    return this.rows;
  }
}

function store(): Rows {
  const s = new Rows();
  unwatchers.push(watchStatus(s));
  return s;
}

describe('metrics registry', () => {
  it('serves Prometheus text with the default process metrics and every gitops_seal_* family documented', async () => {
    const m = await metricsText();
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(m.body).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    for (const [name, type] of [
      ['gitops_seal_sync_duration_seconds', 'histogram'],
      ['gitops_seal_sync_failures_total', 'counter'],
      ['gitops_seal_sync_revision_info', 'gauge'],
      ['gitops_seal_objects_managed', 'gauge'],
      ['gitops_seal_drift_corrections_total', 'counter'],
      ['gitops_seal_sync_ready', 'gauge'],
      ['gitops_seal_sync_last_success_timestamp_seconds', 'gauge'],
      ['gitops_seal_decrypt_failures_total', 'counter'],
      ['gitops_seal_registry_requests_total', 'counter'],
      ['gitops_seal_registry_retries_total', 'counter'],
      ['gitops_seal_registry_rate_limited_total', 'counter'],
      ['gitops_seal_registry_errors_total', 'counter'],
      ['gitops_seal_writeback_commits_total', 'counter'],
      ['gitops_seal_writeback_failures_total', 'counter'],
      ['gitops_seal_leader', 'gauge'],
    ]) {
      expect(m.body).toContain(`# TYPE ${name} ${type}\n`);
      expect(m.body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    // Every line parses as exposition text.
    expect(parseExposition(m.body).length).toBeGreaterThan(20);
  });
});

describe('sync metrics', () => {
  it('reads revision, objects, drift corrections, readiness and last success from the status store at scrape time', async () => {
    const s = store().sync('unit-a', 'repo-a');
    expect(sampleValue(await text(), 'gitops_seal_sync_ready', { sync: 'unit-a' })).toBe(0);
    expect(samples(await text(), 'gitops_seal_sync_revision_info', { sync: 'unit-a' })).toEqual([]);
    Object.assign(s, {
      appliedRevision: 'a'.repeat(40),
      objects: 7,
      driftCorrections: 3,
      lastAppliedAt: '2026-01-02T03:04:05.000Z',
      ready: true,
    });
    const t = await text();
    expect(samples(t, 'gitops_seal_sync_revision_info', { sync: 'unit-a' })).toEqual([
      { name: 'gitops_seal_sync_revision_info', labels: { sync: 'unit-a', source: 'repo-a', revision: 'a'.repeat(40) }, value: 1 },
    ]);
    expect(sampleValue(t, 'gitops_seal_objects_managed', { sync: 'unit-a' })).toBe(7);
    expect(sampleValue(t, 'gitops_seal_drift_corrections_total', { sync: 'unit-a' })).toBe(3);
    expect(sampleValue(t, 'gitops_seal_sync_ready', { sync: 'unit-a' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_sync_last_success_timestamp_seconds', { sync: 'unit-a' })).toBe(
      Date.parse('2026-01-02T03:04:05Z') / 1000,
    );
    // A failed attempt after a success: not ready, the applied revision stays.
    s.lastError = { stage: 'decrypt', message: 'x', at: new Date().toISOString() };
    expect(sampleValue(await text(), 'gitops_seal_sync_ready', { sync: 'unit-a' })).toBe(0);
    expect(sampleValue(await text(), 'gitops_seal_sync_revision_info', { sync: 'unit-a' })).toBe(1);
  });

  it('drops the old revision label set when the applied revision changes', async () => {
    const s = store().sync('unit-b', 'repo-b');
    s.appliedRevision = '1'.repeat(40);
    expect(sampleValue(await text(), 'gitops_seal_sync_revision_info', { sync: 'unit-b', revision: '1'.repeat(40) })).toBe(1);
    s.appliedRevision = '2'.repeat(40);
    const t = await text();
    expect(samples(t, 'gitops_seal_sync_revision_info', { sync: 'unit-b' }).map((x) => x.labels.revision)).toEqual(['2'.repeat(40)]);
  });

  it('stops exporting a store when it is unwatched', async () => {
    const st = new Rows();
    const unwatch = watchStatus(st);
    st.sync('unit-c', 'repo-c').objects = 4;
    expect(sampleValue(await text(), 'gitops_seal_objects_managed', { sync: 'unit-c' })).toBe(4);
    unwatch();
    expect(sampleValue(await text(), 'gitops_seal_objects_managed', { sync: 'unit-c' })).toBeUndefined();
  });

  it('observes reconcile durations by result and failures by stage, both present at 0 from the start', async () => {
    initSyncMetrics('unit-d');
    let t = await text();
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'unit-d', result: 'success' })).toBe(0);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'unit-d', result: 'failure' })).toBe(0);
    observeSync('unit-d', 'success', 0.3);
    observeSync('unit-d', 'success', 7);
    observeSync('unit-d', 'failure', 0.01, 'decrypt');
    t = await text();
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'unit-d', result: 'success' })).toBe(2);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_sum', { sync: 'unit-d', result: 'success' })).toBeCloseTo(7.3);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_bucket', { sync: 'unit-d', result: 'success', le: '0.5' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_bucket', { sync: 'unit-d', result: 'success', le: '+Inf' })).toBe(2);
    expect(sampleValue(t, 'gitops_seal_sync_duration_seconds_count', { sync: 'unit-d', result: 'failure' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_sync_failures_total', { sync: 'unit-d', stage: 'decrypt' })).toBe(1);
  });
});

describe('decrypt failure metrics', () => {
  it('count per file and reason; every reason starts at 0', async () => {
    initDecryptMetrics('unit-e');
    const zero = samples(await text(), 'gitops_seal_decrypt_failures_total', { sync: 'unit-e' });
    expect(zero.map((s) => s.labels.reason).sort()).toEqual([
      'format',
      'no-key',
      'not-covered',
      'other',
      'scope',
      'tampered',
      'unsupported-key',
      'vault',
    ]);
    expect(zero.every((s) => s.value === 0)).toBe(true);
    recordDecryptFailures('unit-e', ['tampered', 'no-key', 'tampered']);
    const t = await text();
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'unit-e', reason: 'tampered' })).toBe(2);
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'unit-e', reason: 'no-key' })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_decrypt_failures_total', { sync: 'unit-e', reason: 'vault' })).toBe(0);
  });
});

describe('image automation metrics', () => {
  it("copies the registry clients' per-host counters at scrape time", async () => {
    const host = 'unit-registry.example:5000';
    const before = sampleValue(await text(), 'gitops_seal_registry_requests_total', { registry: host }) ?? 0;
    const stats = emptyStats();
    bump(stats, host, 'requests', 5);
    bump(stats, host, 'retries', 2);
    bump(stats, host, 'rateLimited');
    const t = await text();
    expect(sampleValue(t, 'gitops_seal_registry_requests_total', { registry: host })).toBe(before + 5);
    expect(sampleValue(t, 'gitops_seal_registry_retries_total', { registry: host })).toBe(2);
    expect(sampleValue(t, 'gitops_seal_registry_rate_limited_total', { registry: host })).toBe(1);
    expect(sampleValue(t, 'gitops_seal_registry_errors_total', { registry: host })).toBe(0);
  });

  it('counts pushed commits and failed runs by reason; no-change runs count nothing', async () => {
    initWritebackMetrics('unit-auto', 'repo');
    expect(sampleValue(await text(), 'gitops_seal_writeback_commits_total', { automation: 'unit-auto' })).toBe(0);
    recordWritebackRun('unit-auto', 'repo', { reason: 'pushed' });
    recordWritebackRun('unit-auto', 'repo', { reason: 'no-change' });
    recordWritebackRun('unit-auto', 'repo', { reason: 'error', errorReason: 'push-rejected' });
    const t = await text();
    expect(sampleValue(t, 'gitops_seal_writeback_commits_total', { automation: 'unit-auto', source: 'repo' })).toBe(1);
    expect(samples(t, 'gitops_seal_writeback_failures_total', { automation: 'unit-auto' })).toEqual([
      {
        name: 'gitops_seal_writeback_failures_total',
        labels: { automation: 'unit-auto', source: 'repo', reason: 'push-rejected' },
        value: 1,
      },
    ]);
  });
});

describe('leader gauge', () => {
  it('is 1 by default (a lone replica leads) and follows setLeader', async () => {
    expect(sampleValue(await text(), 'gitops_seal_leader')).toBe(1);
    setLeader(false);
    expect(sampleValue(await text(), 'gitops_seal_leader')).toBe(0);
    setLeader(true);
    expect(sampleValue(await text(), 'gitops_seal_leader')).toBe(1);
  });
});
