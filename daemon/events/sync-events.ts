// Kubernetes Events for sync outcomes: one subscriber of the bus. A revision applied is
// announced once (ReconciliationSucceeded), not on every no-op re-apply of the same revision
// (no event storm from periodic reconciles); every refusal is recorded (ReconciliationFailed),
// with the stage's message naming the file or object. A commit that left a sync's inputs
// unchanged is no Event either: that sync sends nothing to its cluster (issue 18). Recording is
// best effort.
import type { EventBus } from './bus.js';
import type { EventType } from './recorder.js';

/** Where a sync's Events go (an EventRecorder on the sync's cluster). */
export interface EventSink {
  record(sync: string, type: EventType, reason: string, message: string): Promise<void>;
}

/** Record Events for the syncs `sinkOf` knows; the returned function unsubscribes. */
export function recordSyncEvents(bus: EventBus, sinkOf: (sync: string) => EventSink | undefined): () => void {
  /** sync+revision pairs already announced. */
  const announced = new Set<string>();
  return bus.on({
    'sync.applied': (e) => {
      const sink = sinkOf(e.sync);
      const key = `${e.sync}\0${e.revision}`;
      if (!sink || e.unchanged || announced.has(key)) return;
      announced.add(key);
      const c = e.changes;
      void sink.record(
        e.sync,
        'Normal',
        'ReconciliationSucceeded',
        `revision ${e.revision.slice(0, 12)} applied: ${e.objects} objects (${c.created} created, ${c.configured} configured, ${e.pruned} pruned)`,
      );
    },
    'sync.refused': (e) => {
      void sinkOf(e.sync)?.record(e.sync, 'Warning', 'ReconciliationFailed', `revision ${e.revision.slice(0, 12)}: ${e.message}`);
    },
  });
}
