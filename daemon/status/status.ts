// The document the daemon serves at GET /status (and `gitops-seal status` reads). It never holds
// secret values: names, revisions, counts, and error messages built from file/object names and
// causes. Fields are only ever added, so an older CLI reads a newer daemon's document.
import type { ImageStatus } from '../images/scanner.js';
import type { RegistryStats } from '../images/metrics.js';
import type { AutomationStatus } from '../writeback/index.js';
import type { HelmStatus } from '../render/index.js';
import type { NotificationChannelStatus } from '../notify/index.js';

/** One outcome in a sync's history; the same outcome again in a row is counted, not appended. */
export interface SyncHistoryEntry {
  revision: string;
  result: 'applied' | 'refused';
  /** refused: the stage that refused the revision. */
  stage?: string;
  /** refused: the cause (file/object names and causes; at most 1 KiB, like an Event's message). */
  message?: string;
  /** applied: objects in the revision. */
  objects?: number;
  /** How many reconciles in a row ended this way, and when the first and the last did. */
  count: number;
  firstAt: string;
  lastAt: string;
}

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
  /** A Helm sync's chart (name, version, digest, source), values digest and skipped hooks. */
  helm?: HelmStatus;
  /** The last outcomes (at most 20), newest first. Always sent; optional for readers of older daemons. */
  history?: SyncHistoryEntry[];
  /** Where the time of the last reconcile went (ms per phase, daemon/engine/timings.ts). */
  lastReconcile?: ReconcileBreakdown;
  /** With --shards: the sync's shard and its owner as this replica sees it ("" = nobody now). */
  shard?: number;
  owner?: string;
}

/** With --shards: the group as this replica sees it (daemon/shard/README.md). */
export interface ShardingStatus {
  identity: string;
  /** The group id (--leader-election-id). */
  group: string;
  shards: number;
  /** The shards this replica owns now. */
  owned: number[];
  /** Live members (this replica included) with their advertised address and the shards they hold. */
  members: { identity: string; address?: string; owned: number[] }[];
  /** This replica's ShardMap fingerprint (replicas with another one run another configuration). */
  map?: string;
  /** Older replicas with another map that hold shards: this one holds none until they are gone (daemon/shard/fence.ts). */
  waitingForMap?: string[];
}

/** One reconcile's timings: webhook (or timer) to the end, per phase. */
export interface ReconcileBreakdown {
  revision: string;
  /** applied; unchanged (inputs unchanged: nothing sent to the cluster); refused. */
  result: 'applied' | 'unchanged' | 'refused';
  totalMs: number;
  phases: Record<string, number>;
  /** Untimed gaps: totalMs minus the phases. */
  otherMs: number;
  at: string;
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
  /** Thin packs fetched again whole (absent in documents of older replicas). */
  thinPackFallbacks?: number;
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

/** One spec.images[] entry; entries of the same name are told apart by their namespaces. */
export type ImagePolicyStatus = ImageStatus & { namespaces?: string[]; matchAnyNamespace?: true };

/**
 * The cluster-held key (spec.clusterKey): its public half as last read, and per sync using it the
 * files of the applied revision that only a retired identity opens (run `updatekeys` on them).
 */
export interface ClusterKeyStatus {
  /** The Secret holding the identities, as namespace/name. */
  secretName: string;
  /** The current (newest) recipient; absent until the Secret was read. */
  recipient?: string;
  fingerprint?: string;
  /** When the current key was created (RFC 3339). */
  created?: string;
  /** How many older identities the Secret keeps (they still decrypt). */
  retired?: number;
  /** Per sync with decryption.clusterKey: files of its applied revision only a retired identity opens. */
  retiredOnly: Record<string, number>;
  /** Why the last read or check failed (names the object and the cause). */
  lastError?: string;
}

export interface DaemonStatus {
  startedAt: string;
  /** Whether this replica runs the controllers (always true without leader election). */
  leader: boolean;
  leaderElection?: LeaderElectionStatus;
  sharding?: ShardingStatus;
  sources: SourceStatus[];
  syncs: SyncStatus[];
  /** Image automation: per image the latest tag seen and chosen; per automation the last push. */
  images: ImagePolicyStatus[];
  imageUpdates: AutomationStatus[];
  /** Per registry host: requests, retries, rate-limited answers, errors. */
  registries: Record<string, RegistryStats>;
  /** Present when spec.clusterKey is enabled. */
  clusterKey?: ClusterKeyStatus;
  /**
   * Present when spec.notifications or spec.commitStatus is configured: per provider and commit
   * status target, its counters and last delivery (names and reason words; never a URL or token).
   */
  notifications?: NotificationChannelStatus[];
}
