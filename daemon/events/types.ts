// What happens in the daemon, as typed events on the in-process bus (bus.ts). Subscribers —
// /status, metrics, Kubernetes Events, notifications (daemon/notify) and the web page — learn of sync
// outcomes only through these. An event carries names, revisions, counts, stages and error
// messages built from file/object names and causes; NEVER a value, an object or a manifest: the
// applied state stays inside the sync runtime (drift tracking gets it by direct hand-off).
import type { Action } from '../apply/index.js';
import type { DecryptFailureReason } from '../decrypt/index.js';
import type { HelmStatus } from '../render/index.js';

/** A reconcile of `revision` began (attemptedRevision moves). */
export interface SyncStarted {
  type: 'sync.started';
  sync: string;
  revision: string;
  at: string;
}

/** `revision` was applied completely (inventory saved, prune done, health waited for). */
export interface SyncApplied {
  type: 'sync.applied';
  sync: string;
  revision: string;
  at: string;
  /** Objects in the revision (the sync's inventory). */
  objects: number;
  changes: Readonly<Record<Action, number>>;
  pruned: number;
  decryptedFiles: number;
  /** Problems that did not stop the revision (e.g. an unreadable inventory line), by name. */
  warnings: readonly string[];
  durationMs: number;
  /** A Helm sync's chart, values digest and skipped hooks (render/helm/status.ts: nothing rendered). */
  helm?: HelmStatus;
  /** The commit left this sync's inputs as they were: recorded as applied, nothing sent to the cluster. */
  unchanged?: boolean;
}

/** `revision` was refused or failed; the last good revision stays applied. */
export interface SyncRefused {
  type: 'sync.refused';
  sync: string;
  revision: string;
  at: string;
  /** The stage that refused it (source, manifests, decrypt, tenancy, …, or internal). */
  stage: string;
  /** The whole cause, one problem per line: each names its file or object. */
  message: string;
  /** One fixed reason word per file that failed to decrypt (stage decrypt only). */
  decryptFailures: readonly DecryptFailureReason[];
  durationMs: number;
}

/**
 * Where the time of one reconcile went (issue 18), published after its outcome so that the
 * publication itself is measured (`status`). Phase names: daemon/engine/timings.ts.
 */
export interface SyncTimed {
  type: 'sync.timed';
  sync: string;
  revision: string;
  /** applied; unchanged: the sync's inputs did not change, nothing was sent to the cluster; refused. */
  result: 'applied' | 'unchanged' | 'refused';
  /** From the first moment known (webhook receipt or timer, else the reconcile's start) to the end. */
  totalMs: number;
  /** Milliseconds per phase, in the order passed. */
  phases: Readonly<Record<string, number>>;
  /** Untimed gaps (totalMs minus the phases). */
  otherMs: number;
  at: string;
}

/** Objects of the applied revision re-applied because they drifted in the cluster. */
export interface DriftCorrected {
  type: 'drift.corrected';
  sync: string;
  /** Objects re-applied by this check (> 0). */
  objects: number;
  at: string;
}

/** A source fetch ended with `commit` (a new one or the same as before). */
export interface SourceFetched {
  type: 'source.fetched';
  source: string;
  commit: string;
  ref: string;
  /** The source's running totals: fetches made, and fetches skipped (remote unchanged). */
  fetches: number;
  skippedFetches: number;
  /** Running total of thin packs fetched again whole (daemon/git's fallback). */
  thinPackFallbacks: number;
  at: string;
}

/** A source fetch failed; the previous revision stays. */
export interface SourceFailed {
  type: 'source.failed';
  source: string;
  message: string;
  at: string;
}

/** An image update automation pushed a commit to its source's repository. */
export interface ImagePushed {
  type: 'image.pushed';
  automation: string;
  source: string;
  commit: string;
  /** Files changed by the commit (paths in the repository). */
  files: readonly string[];
  at: string;
}

/** An image update automation could not push (it retries after the next scan). */
export interface ImageFailed {
  type: 'image.failed';
  automation: string;
  source: string;
  /** The write-back failure reason word (auth, push-rejected, conflict, not-found, network, …). */
  reason: string;
  /** One line naming the repository and the cause (credentials redacted by the writer). */
  message: string;
  at: string;
}

/** This replica started or stopped running the controllers. */
export interface LeaderChanged {
  type: 'leader.changed';
  leader: boolean;
  at: string;
}

export type DaemonEvent =
  | SyncStarted
  | SyncApplied
  | SyncRefused
  | DriftCorrected
  | SourceFetched
  | SourceFailed
  | ImagePushed
  | ImageFailed
  | LeaderChanged
  | SyncTimed;
export type DaemonEventType = DaemonEvent['type'];
/** The event of one type, e.g. EventOf<'sync.applied'>. */
export type EventOf<T extends DaemonEventType> = Extract<DaemonEvent, { type: T }>;
