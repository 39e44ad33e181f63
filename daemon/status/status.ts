// What the daemon reports about itself at GET /status. Never holds secret values: revisions,
// counts and error messages only (error messages are built from file/object names and causes).

export interface SyncStatus {
  name: string;
  source: string;
  /** Last revision applied successfully. */
  appliedRevision?: string;
  /** Last revision tried (equal to appliedRevision when it succeeded). */
  attemptedRevision?: string;
  objects: number;
  lastAppliedAt?: string;
  lastAttemptAt?: string;
  /** Objects re-applied because they drifted from Git. */
  driftCorrections: number;
  /** Why the last attempt failed, and which revision it was (attemptedRevision moves at the start of the next attempt). */
  lastError?: { stage: string; message: string; at: string; revision?: string };
  /** Problems of the last applied revision that did not stop it (e.g. an unreadable inventory entry). */
  warnings?: string[];
  ready: boolean;
}

export interface SourceStatus {
  name: string;
  url: string;
  commit?: string;
  ref?: string;
  lastFetchAt?: string;
  lastError?: { message: string; at: string };
  fetches: number;
  skippedFetches: number;
}

/** Leader election as this replica sees it (present only with --leader-elect). */
export interface LeaderElectionStatus {
  /** The Lease, as namespace/name. */
  lease: string;
  /** This replica's identity. */
  identity: string;
  /** Who holds the Lease now ("" when released or not yet observed). */
  holder: string;
}

export interface DaemonStatus {
  startedAt: string;
  /** Whether this replica runs the controllers (always true without leader election). */
  leader: boolean;
  leaderElection?: LeaderElectionStatus;
  sources: SourceStatus[];
  syncs: SyncStatus[];
  /** Image automation: per image the latest tag seen and chosen; per automation the last push. */
  images: unknown[];
  imageUpdates: unknown[];
  /** Per registry host: requests, retries, rate-limited answers, errors. */
  registries: unknown;
}

export class StatusStore {
  readonly startedAt = new Date().toISOString();
  leader = true;
  /** Set by the daemon when leader election is on. */
  leaderElection: (() => LeaderElectionStatus) | undefined;
  /** Providers of the image automation's status (set by the daemon when configured). */
  images: () => unknown[] = () => [];
  imageUpdates: () => unknown[] = () => [];
  registries: () => unknown = () => ({});
  private readonly sources = new Map<string, SourceStatus>();
  private readonly syncs = new Map<string, SyncStatus>();

  source(name: string, url: string): SourceStatus {
    let s = this.sources.get(name);
    if (!s) {
      s = { name, url, fetches: 0, skippedFetches: 0 };
      this.sources.set(name, s);
    }
    return s;
  }

  sync(name: string, source: string): SyncStatus {
    let s = this.syncs.get(name);
    if (!s) {
      s = { name, source, objects: 0, driftCorrections: 0, ready: false };
      this.syncs.set(name, s);
    }
    return s;
  }

  /** The syncs' live status objects (read by the metrics at scrape time; do not modify). */
  syncList(): readonly SyncStatus[] {
    return [...this.syncs.values()];
  }

  snapshot(): DaemonStatus {
    return {
      startedAt: this.startedAt,
      leader: this.leader,
      ...(this.leaderElection ? { leaderElection: this.leaderElection() } : {}),
      sources: [...this.sources.values()].map((s) => ({ ...s })),
      syncs: [...this.syncs.values()].map((s) => ({ ...s })),
      images: this.images(),
      imageUpdates: this.imageUpdates(),
      registries: this.registries(),
    };
  }

  /** Ready once every sync has applied a revision at least once; a follower is always ready (to take over). */
  ready(): boolean {
    if (!this.leader) return true;
    return [...this.syncs.values()].every((s) => s.appliedRevision !== undefined);
  }
}
