import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import type { EventType } from './recorder.js';
import { recordSyncEvents, type EventSink } from './sync-events.js';
import type { SyncApplied, SyncRefused } from './types.js';

class Recorded implements EventSink {
  readonly events: { sync: string; type: EventType; reason: string; message: string }[] = [];
  async record(sync: string, type: EventType, reason: string, message: string): Promise<void> {
    this.events.push({ sync, type, reason, message });
  }
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const applied = (sync: string, revision: string): SyncApplied => ({
  type: 'sync.applied',
  sync,
  revision,
  at: '',
  objects: 5,
  changes: { created: 2, configured: 1, unchanged: 2, deleted: 0, skipped: 0 },
  pruned: 1,
  decryptedFiles: 1,
  warnings: [],
  durationMs: 10,
});
const refused = (sync: string, revision: string): SyncRefused => ({
  type: 'sync.refused',
  sync,
  revision,
  at: '',
  stage: 'decrypt',
  message: `sync "${sync}" revision ${revision.slice(0, 12)} refused at decrypt: apps/secret.yaml: tampered or corrupted`,
  decryptFailures: ['tampered'],
  durationMs: 3,
});

describe('recordSyncEvents', () => {
  it('announces each applied revision of a sync once, and every refusal', () => {
    const bus = new EventBus();
    const sink = new Recorded();
    recordSyncEvents(bus, (s) => (s === 'apps' ? sink : undefined));
    bus.publish(applied('apps', A));
    bus.publish(applied('apps', A)); // a no-op re-apply of the same revision: no second Event
    bus.publish(refused('apps', B));
    bus.publish(refused('apps', B));
    bus.publish(applied('apps', B));
    bus.publish(applied('other', A)); // a sync without a sink: nothing, no error
    expect(sink.events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'ReconciliationSucceeded'],
      ['Warning', 'ReconciliationFailed'],
      ['Warning', 'ReconciliationFailed'],
      ['Normal', 'ReconciliationSucceeded'],
    ]);
    expect(sink.events[0]?.message).toBe('revision aaaaaaaaaaaa applied: 5 objects (2 created, 1 configured, 1 pruned)');
    expect(sink.events[1]?.message).toBe(`revision bbbbbbbbbbbb: ${refused('apps', B).message}`);
  });

  it('de-duplicates per sync: the same revision applied by two syncs is announced for each', () => {
    const bus = new EventBus();
    const sink = new Recorded();
    recordSyncEvents(bus, () => sink);
    bus.publish(applied('one', A));
    bus.publish(applied('two', A));
    expect(sink.events.map((e) => e.sync)).toEqual(['one', 'two']);
  });

  it('records no Event for a commit that left the sync unchanged (nothing was sent to its cluster)', () => {
    const bus = new EventBus();
    const sink = new Recorded();
    recordSyncEvents(bus, () => sink);
    bus.publish({ ...applied('apps', A), unchanged: true });
    expect(sink.events).toEqual([]);
    bus.publish(applied('apps', B));
    expect(sink.events.map((e) => e.reason)).toEqual(['ReconciliationSucceeded']);
  });
});
