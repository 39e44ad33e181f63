// Metrics from the event bus: reconcile durations by result, failures by stage, decrypt
// failures by reason, and leadership. The per-sync gauges are read from the status store at
// scrape time instead (status-stores.ts).
import type { EventBus } from '../events/index.js';
import { initDecryptMetrics, recordDecryptFailures } from './decrypt.js';
import { setLeader } from './leader.js';
import { initSourceMetrics, thinPackFallbackRecorder } from './source.js';
import { initSyncMetrics, observePhases, observeSync } from './sync.js';

/** Count `syncs`' outcomes (their series start at 0 now), leadership and `sources`' thin-pack fallbacks; the returned function unsubscribes. */
export function followEvents(bus: EventBus, syncs: readonly string[], sources: readonly string[] = []): () => void {
  for (const sync of syncs) {
    initSyncMetrics(sync);
    initDecryptMetrics(sync);
  }
  for (const source of sources) initSourceMetrics(source);
  const thinFallbacks = thinPackFallbackRecorder();
  return bus.on({
    'source.fetched': (e) => thinFallbacks(e.source, e.thinPackFallbacks),
    'sync.applied': (e) => observeSync(e.sync, 'success', e.durationMs / 1000),
    'sync.refused': (e) => {
      observeSync(e.sync, 'failure', e.durationMs / 1000, e.stage);
      if (e.stage === 'decrypt') recordDecryptFailures(e.sync, e.decryptFailures);
    },
    'sync.timed': (e) => observePhases(e.result, e.phases, e.otherMs),
    'leader.changed': (e) => setLeader(e.leader),
  });
}
