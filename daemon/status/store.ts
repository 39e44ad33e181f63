// The daemon's status, kept in one place: the rows of the configured sources and syncs, fed
// only by the event bus (follow()), plus read-only providers for what other parts own live
// (image scanners, automations, registry counters, the Lease). Readers get copies or read-only
// views; nothing outside this file writes a status field.
import type { EventBus, EventOf } from '../events/index.js';
import { recordOutcome } from './history.js';
import type {
  ClusterKeyStatus,
  DaemonStatus,
  ImagePolicyStatus,
  LeaderElectionStatus,
  ShardingStatus,
  SourceStatus,
  SyncHistoryEntry,
  SyncStatus,
} from './status.js';
import type { AutomationStatus } from '../writeback/index.js';
import type { RegistryStats } from '../images/metrics.js';
import type { NotificationChannelStatus } from '../notify/index.js';

/** The rows /status has from the start: every configured source and sync. */
export interface StatusLayout {
  sources?: readonly { name: string; url: string }[];
  syncs?: readonly { name: string; source: string }[];
}

/** Live views owned elsewhere, read when /status is asked for. */
export interface StatusProviders {
  images: () => ImagePolicyStatus[];
  imageUpdates: () => AutomationStatus[];
  registries: () => Record<string, RegistryStats>;
  leaderElection: () => LeaderElectionStatus;
  clusterKey: () => ClusterKeyStatus;
  notifications: () => NotificationChannelStatus[];
  sharding: () => ShardingStatus;
  /** With --shards: a sync's shard, its owner, and whether this replica owns it. */
  syncShard: (sync: string) => { shard: number; owner: string; mine: boolean };
}

/** A sync's row as this daemon keeps it: always with its history. */
type SyncRow = SyncStatus & { history: SyncHistoryEntry[] };

export class StatusStore {
  readonly startedAt = new Date().toISOString();
  private leading = true;
  private providers: Partial<StatusProviders> = {};
  private readonly sources = new Map<string, SourceStatus>();
  private readonly syncs = new Map<string, SyncRow>();

  constructor(layout: StatusLayout = {}) {
    for (const s of layout.sources ?? [])
      this.sources.set(s.name, { name: s.name, url: s.url, fetches: 0, skippedFetches: 0, thinPackFallbacks: 0 });
    for (const s of layout.syncs ?? [])
      this.syncs.set(s.name, { name: s.name, source: s.source, objects: 0, driftCorrections: 0, ready: false, history: [] });
  }

  /** Keep this status from the bus's events; the returned function stops that. */
  follow(bus: EventBus): () => void {
    return bus.on({
      'sync.started': (e) => this.started(e),
      'sync.applied': (e) => this.applied(e),
      'sync.refused': (e) => this.refused(e),
      'sync.timed': (e) => {
        const s = this.syncs.get(e.sync);
        if (!s) return;
        const { revision, result, totalMs, otherMs, at } = e;
        s.lastReconcile = { revision, result, totalMs, phases: { ...e.phases }, otherMs, at };
      },
      'drift.corrected': (e) => {
        const s = this.syncs.get(e.sync);
        if (s) s.driftCorrections += e.objects;
      },
      'source.fetched': (e) => {
        const s = this.sources.get(e.source);
        if (!s) return;
        Object.assign(s, {
          commit: e.commit,
          ref: e.ref,
          lastFetchAt: e.at,
          fetches: e.fetches,
          skippedFetches: e.skippedFetches,
          thinPackFallbacks: e.thinPackFallbacks,
        });
        delete s.lastError;
      },
      'source.failed': (e) => {
        const s = this.sources.get(e.source);
        if (s) s.lastError = { message: e.message, at: e.at };
      },
      'leader.changed': (e) => {
        this.leading = e.leader;
      },
    });
  }

  /** Set the live views of parts that exist (image automation when configured, the elector with --leader-elect). */
  provide(providers: Partial<StatusProviders>): void {
    this.providers = { ...this.providers, ...providers };
  }

  private started(e: EventOf<'sync.started'>): void {
    const s = this.syncs.get(e.sync);
    if (!s) return;
    s.attemptedRevision = e.revision;
    s.lastAttemptAt = e.at;
  }

  private applied(e: EventOf<'sync.applied'>): void {
    const s = this.syncs.get(e.sync);
    if (!s) return;
    Object.assign(s, { appliedRevision: e.revision, objects: e.objects, lastAppliedAt: e.at, ready: true });
    delete s.lastError;
    if (e.warnings.length > 0) s.warnings = [...e.warnings];
    else delete s.warnings;
    if (e.helm) s.helm = e.helm;
    else delete s.helm;
    recordOutcome(s.history, { revision: e.revision, result: 'applied', objects: e.objects, at: e.at });
  }

  private refused(e: EventOf<'sync.refused'>): void {
    const s = this.syncs.get(e.sync);
    if (!s) return;
    s.lastError = { stage: e.stage, message: e.message, at: e.at, revision: e.revision };
    recordOutcome(s.history, { revision: e.revision, result: 'refused', stage: e.stage, message: e.message, at: e.at });
  }

  /** Whether this replica runs the controllers (false on a follower). */
  get leader(): boolean {
    return this.leading;
  }

  /** One sync's status (a read-only view of the live row). */
  sync(name: string): Readonly<SyncRow> | undefined {
    return this.syncs.get(name);
  }

  /** The syncs' live rows (read by the metrics at scrape time). */
  syncList(): readonly Readonly<SyncRow>[] {
    return [...this.syncs.values()];
  }

  snapshot(): DaemonStatus {
    const p = this.providers;
    return {
      startedAt: this.startedAt,
      leader: this.leading,
      ...(p.leaderElection ? { leaderElection: p.leaderElection() } : {}),
      ...(p.sharding ? { sharding: p.sharding() } : {}),
      sources: [...this.sources.values()].map((s) => ({ ...s })),
      syncs: [...this.syncs.values()].map((s) => ({
        ...s,
        ...(s.warnings ? { warnings: [...s.warnings] } : {}),
        ...(s.lastReconcile ? { lastReconcile: { ...s.lastReconcile, phases: { ...s.lastReconcile.phases } } } : {}),
        history: s.history.map((h) => ({ ...h })),
        ...(p.syncShard ? (({ shard, owner }) => ({ shard, owner }))(p.syncShard(s.name)) : {}),
      })),
      images: p.images?.() ?? [],
      imageUpdates: p.imageUpdates?.() ?? [],
      registries: p.registries?.() ?? {},
      ...(p.clusterKey ? { clusterKey: p.clusterKey() } : {}),
      ...(p.notifications ? { notifications: p.notifications() } : {}),
    };
  }

  /** The cluster key's status when enabled (read by the metrics at scrape time). */
  clusterKey(): ClusterKeyStatus | undefined {
    return this.providers.clusterKey?.();
  }

  /** Ready once every sync has applied a revision at least once; a follower is always ready (to take over). */
  ready(): boolean {
    const shard = this.providers.syncShard;
    // Sharded: ready once every sync this replica owns has applied (the others are not its to apply).
    if (shard) return [...this.syncs.values()].every((s) => !shard(s.name).mine || s.appliedRevision !== undefined);
    if (!this.leading) return true;
    return [...this.syncs.values()].every((s) => s.appliedRevision !== undefined);
  }
}
