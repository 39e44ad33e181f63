// Per-sync metrics. Durations and failures are observed by the SyncController as reconciles
// end; revision, object count, drift corrections, readiness and the last success time are read
// from the status stores at scrape time (see status-stores.ts), so label sets of an old
// revision disappear on the next scrape after the revision changes.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry.js';
import { watchedSyncs } from './status-stores.js';

export type SyncResult = 'success' | 'failure';

export const syncDuration = new Histogram({
  name: 'gitops_seal_sync_duration_seconds',
  help: 'Duration of one reconcile of a sync (fetch excluded: read, decrypt, dry-run, apply, prune, health), by result.',
  labelNames: ['sync', 'result'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

export const syncFailures = new Counter({
  name: 'gitops_seal_sync_failures_total',
  help: 'Reconciles refused or failed, by the stage that refused them (source, manifests, decrypt, tenancy, prune-guard, validate, apply, prune, health, internal).',
  labelNames: ['sync', 'stage'] as const,
  registers: [registry],
});

// One histogram per phase of a reconcile (daemon/engine/timings.ts), without a sync label: 17
// phases × buckets per sync would be thousands of series at 50 syncs; /status has each sync's
// last breakdown. `result` tells reconciles that applied from those that skipped (inputs
// unchanged) or were refused.
export const reconcilePhaseDuration = new Histogram({
  name: 'gitops_seal_reconcile_phase_seconds',
  help: 'Time of each phase of a reconcile, webhook to status (queue, negotiate, download, store, walk, read, decrypt, render, parse, scope, inventory-read, dry-run, apply, prune, inventory-write, health, status, other), by result (applied, unchanged, refused).',
  labelNames: ['phase', 'result'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Observes one reconcile's breakdown (ms per phase, plus the untimed rest as `other`). */
export function observePhases(result: string, phases: Readonly<Record<string, number>>, otherMs: number): void {
  for (const [phase, ms] of Object.entries(phases)) reconcilePhaseDuration.observe({ phase, result }, ms / 1000);
  reconcilePhaseDuration.observe({ phase: 'other', result }, otherMs / 1000);
}

/** Series that exist from the start (at 0), so rate() and increase() see the first event. */
export function initSyncMetrics(sync: string): void {
  syncDuration.zero({ sync, result: 'success' });
  syncDuration.zero({ sync, result: 'failure' });
}

export function observeSync(sync: string, result: SyncResult, seconds: number, failedStage?: string): void {
  syncDuration.observe({ sync, result }, seconds);
  if (result === 'failure') syncFailures.inc({ sync, stage: failedStage ?? 'internal' });
}

new Gauge({
  name: 'gitops_seal_sync_revision_info',
  help: 'The revision (commit) a sync has applied: 1 for the current revision; older revisions disappear.',
  labelNames: ['sync', 'source', 'revision'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of watchedSyncs()) if (s.appliedRevision) this.set({ sync: s.name, source: s.source, revision: s.appliedRevision }, 1);
  },
});

new Gauge({
  name: 'gitops_seal_objects_managed',
  help: 'Objects in the last revision a sync applied (its inventory).',
  labelNames: ['sync'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of watchedSyncs()) this.set({ sync: s.name }, s.objects);
  },
});

new Counter({
  name: 'gitops_seal_drift_corrections_total',
  help: 'Objects re-applied because they drifted from Git (edited or deleted in the cluster).',
  labelNames: ['sync'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of watchedSyncs()) this.inc({ sync: s.name }, s.driftCorrections);
  },
});

new Gauge({
  name: 'gitops_seal_sync_ready',
  help: '1 when the last reconcile of a sync applied its revision, 0 when it has not applied one yet or the last attempt failed.',
  labelNames: ['sync'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of watchedSyncs()) this.set({ sync: s.name }, s.appliedRevision !== undefined && !s.lastError ? 1 : 0);
  },
});

new Gauge({
  name: 'gitops_seal_sync_last_success_timestamp_seconds',
  help: 'Unix time of the last successful reconcile of a sync (absent until the first one).',
  labelNames: ['sync'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of watchedSyncs()) if (s.lastAppliedAt) this.set({ sync: s.name }, Date.parse(s.lastAppliedAt) / 1000);
  },
});
