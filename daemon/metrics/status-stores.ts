// The StatusStores whose state is exported at scrape time. State the daemon already keeps for
// /status (applied revision, object counts, drift corrections) is read when Prometheus scrapes
// instead of being mirrored into metrics as it changes: one source of truth, nothing to keep in
// step. The status server registers its store while it serves (several daemons can live in one
// test process; each store counts while its server is up).
import type { StatusStore, SyncStatus } from '../status/status.js';

const stores = new Set<StatusStore>();

/** Export `store`'s state from now on; the returned function stops that. */
export function watchStatus(store: StatusStore): () => void {
  stores.add(store);
  return () => {
    stores.delete(store);
  };
}

/** Every sync of every watched store. */
export function watchedSyncs(): SyncStatus[] {
  return [...stores].flatMap((s) => s.syncList());
}
