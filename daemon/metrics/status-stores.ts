// The sync rows exported at scrape time. State the daemon already keeps for /status (applied
// revision, object counts, drift corrections) is read when Prometheus scrapes instead of being
// mirrored into metrics as it changes: one source of truth, nothing to keep in step. The
// /metrics route registers its daemon's store while the server is up (several daemons can live
// in one test process; each store counts while its server is up). The shape is declared here,
// so metrics depends on no status module (the status store simply has it).

/** What the per-sync gauges read of one sync. */
export interface SyncRow {
  name: string;
  source: string;
  appliedRevision?: string;
  objects: number;
  driftCorrections: number;
  lastAppliedAt?: string;
  lastError?: unknown;
}

/** What the cluster key gauges read (spec.clusterKey enabled). */
export interface ClusterKeyRow {
  /** When the current key was created (RFC 3339); absent until the Secret was read. */
  created?: string;
  retiredOnly: Readonly<Record<string, number>>;
}

/** Something that lists sync rows (the daemon's StatusStore). */
export interface SyncRows {
  syncList(): readonly SyncRow[];
  /** The cluster key's row, when the daemon holds one. */
  clusterKey?(): ClusterKeyRow | undefined;
}

const stores = new Set<SyncRows>();

/** Export `store`'s state from now on; the returned function stops that. */
export function watchStatus(store: SyncRows): () => void {
  stores.add(store);
  return () => {
    stores.delete(store);
  };
}

/** Every sync of every watched store. */
export function watchedSyncs(): SyncRow[] {
  return [...stores].flatMap((s) => s.syncList());
}

/** The cluster key row of every watched store that has one. */
export function watchedClusterKeys(): ClusterKeyRow[] {
  return [...stores].flatMap((s) => {
    const row = s.clusterKey?.();
    return row ? [row] : [];
  });
}
