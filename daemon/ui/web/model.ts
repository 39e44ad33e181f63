// What the web page shows, as the server sends it: the view the server renders into HTML and
// pushes over server-sent events, and the client re-renders from. Built by ../view.ts from the
// same StatusStore /status reads, then passed through the log redaction (../redact.ts) before
// it leaves the process. Types only: shared by the server and the browser bundle.
//
// Never a value: a Secret appears by name and its data key names (`keyNames`), nothing else. Field
// names avoid the words the log redaction censors (data, token, secret, ...), so redaction
// leaves the view readable and still catches anything that ever slips into it.

export type SyncState = 'applied' | 'failing' | 'pending' | 'never-applied';

export interface HistoryView {
  revision: string;
  result: 'applied' | 'refused';
  stage?: string;
  message?: string;
  objects?: number;
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface SyncView {
  name: string;
  source: string;
  /** The source's URL without credentials. */
  sourceUrl: string;
  /** The branch/tag/commit the source follows, as configured. */
  ref: string;
  path: string;
  state: SyncState;
  /** The applied revision and, when the object store still has it, its commit's subject line. */
  revision?: string;
  commitMessage?: string;
  attemptedRevision?: string;
  lastAppliedAt?: string;
  lastAttemptAt?: string;
  objects: number;
  driftCorrections: number;
  /** Why the last attempt failed: the stage and the cause (file/object names and causes). */
  failing?: { stage: string; message: string; at: string; revision?: string };
  warnings: string[];
  /** How the sync decrypts: age, vault transit, cluster key, sealed secrets (none: plain manifests only). */
  decryption: string[];
  history: HistoryView[];
  /** With --shards: the replica that owns the sync ("" none right now) and its shard. */
  owner?: string;
  shard?: number;
  /** The owner did not answer: this row is the answering replica's own, and why. */
  staleReason?: string;
}

export interface ObjectView {
  name: string;
  health: { status: string; message: string };
  /** When drift correction last re-applied this object (absent: never since the daemon started). */
  correctedAt?: string;
  /** A Secret's data key names (never a value). */
  keyNames?: string[];
}

export interface ObjectGroup {
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  objects: ObjectView[];
}

export interface ImageView {
  name: string;
  image: string;
  namespaces?: string[];
  /** The tag the policy chose (what Git gets). */
  currentTag?: string;
  /** The newest tag seen in the registry. */
  newestSeen?: string;
  lastScanAt?: string;
  /** The last commit an automation pushed that changed this policy's markers, when, and which automation. */
  lastBump?: { commit: string; at: string; automation: string; tag?: string };
  error?: string;
}

export interface AutomationView {
  name: string;
  branch: string;
  lastRunAt?: string;
  lastResult?: string;
  lastBumpCommit?: string;
  lastBumpAt?: string;
  error?: string;
}

export interface FeedEntry {
  at: string;
  /** applied | refused | drift | fetched | fetch-failed | pushed | leader */
  kind: string;
  /** The sync, source or automation it is about ('' for the daemon itself). */
  subject: string;
  text: string;
}

export interface DaemonView {
  name: string;
  startedAt: string;
  leader: boolean;
  /** With --leader-elect: the Lease, this replica's identity (`replica`: the log redaction censors a key named identity), and who holds it. */
  election?: { lease: string; replica: string; holder: string };
  /** With --shards: this replica, the shards it owns, of how many, and how many replicas are live. */
  sharding?: { replica: string; owned: number[]; shards: number; members: number };
}

export interface OverviewModel {
  page: 'overview';
  generatedAt: string;
  daemon: DaemonView;
  syncs: SyncView[];
  images: ImageView[];
  automations: AutomationView[];
  feed: FeedEntry[];
}

export interface SyncModel {
  page: 'sync';
  generatedAt: string;
  daemon: DaemonView;
  sync: SyncView;
  groups: ObjectGroup[];
  /** Why objects or their health are not all shown (too many, cluster unreachable, nothing applied yet). */
  objectsNote?: string;
  feed: FeedEntry[];
}

export type PageModel = OverviewModel | SyncModel;
