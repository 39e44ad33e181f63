// The daemon's work as shards: which shard each sync belongs to (the balanced ShardMap of all the
// configuration's syncs, shard-map.ts), what this replica may
// do now (the ownership the assembly asks before starting work and right before writing), and
// what happens when a shard comes or goes (its syncs resume from scratch, or drain).
//
// Singletons — the image automation (scans and write-back pushes, one commit per change) and
// the cluster key holder — go with shard 0: its owner is "the leader" (/status `leader`, the
// gitops_seal_leader gauge), so `--shards 1` is exactly today's leader election.
import type { AssemblyOwnership } from '../runtime/assembly.js';
import type { SyncOwnership } from '../runtime/sync-controller.js';
import type { ShardingStatus } from '../status/index.js';
import type { ShardCallbacks, ShardCoordinator } from './coordinator.js';
import { ShardMap } from './shard-map.js';

/** The shard of the singletons (image automation, cluster key). */
export const SINGLETON_SHARD = 0;

/** What a shard's coming and going does to the daemon's parts. */
export interface ShardedParts {
  resumeSync(name: string): void;
  pauseSync(name: string): Promise<void>;
  resumeImages(): void;
  pauseImages(): Promise<void>;
  /** The cluster key holder (when spec.clusterKey is enabled). */
  lead?(): void;
  unlead?(): Promise<void>;
}

export interface ShardEvents {
  /** Owning shard 0 (the singletons) started or stopped. */
  onLeader(leading: boolean): void;
  /** A shard was lost without a release: stop everything (the daemon exits). */
  onLost(shard: number, reason: string): void;
  /** Ownership changed (metrics). */
  onOwned?(shard: number, owned: boolean, total: number): void;
}

export class ShardedWork implements AssemblyOwnership {
  private coordinator: ShardCoordinator | undefined;
  /** Every sync's shard: built from all the syncs, as every replica and the fleet view build it. */
  readonly map: ShardMap;
  private readonly syncs: readonly string[];
  readonly images: SyncOwnership;

  constructor(
    readonly shards: number,
    syncs: readonly string[],
  ) {
    this.map = new ShardMap(syncs, shards);
    this.syncs = syncs;
    this.images = this.ownership(SINGLETON_SHARD);
  }

  /** The coordinator exists only once the daemon starts; until then nothing is owned. */
  attach(c: ShardCoordinator): void {
    this.coordinator = c;
  }

  shardOfSync(name: string): number {
    return this.map.shardOf(name);
  }

  sync(name: string): SyncOwnership {
    return this.ownership(this.shardOfSync(name));
  }

  private ownership(k: number): SyncOwnership {
    return { accepts: () => this.coordinator?.accepts(k) === true, mayWrite: () => this.coordinator?.mayWrite(k) === true };
  }

  /** The syncs of shard k, in config order. */
  syncsOf(k: number): string[] {
    return this.syncs.filter((s) => this.map.shardOf(s) === k);
  }

  callbacks(parts: ShardedParts, events: ShardEvents): ShardCallbacks {
    const total = (): number => this.coordinator?.owned().length ?? 0;
    return {
      onAcquired: (k) => {
        events.onOwned?.(k, true, total());
        if (k === SINGLETON_SHARD) {
          // First: a sync's first reconcile waits for the key the holder's first check makes.
          parts.lead?.();
          parts.resumeImages();
          events.onLeader(true);
        }
        for (const s of this.syncsOf(k)) parts.resumeSync(s);
      },
      onReleasing: async (k) => {
        events.onOwned?.(k, false, total());
        const work: Promise<unknown>[] = this.syncsOf(k).map((s) => parts.pauseSync(s));
        if (k === SINGLETON_SHARD) {
          events.onLeader(false);
          work.push(parts.pauseImages(), parts.unlead?.() ?? Promise.resolve());
        }
        await Promise.all(work);
      },
      onLost: (k, reason) => {
        events.onOwned?.(k, false, total());
        events.onLost(k, reason);
      },
    };
  }

  /** /status's sharding section and each sync's shard and owner. */
  status(): ShardingStatus | undefined {
    const c = this.coordinator;
    if (!c) return undefined;
    const waiting = c.waitingForMap();
    return {
      identity: c.opts.identity,
      group: c.opts.group,
      shards: this.shards,
      owned: c.owned(),
      members: c.members(),
      map: this.map.fingerprint,
      ...(waiting.length > 0 ? { waitingForMap: waiting } : {}),
    };
  }

  syncShard(name: string): { shard: number; owner: string; mine: boolean } {
    const shard = this.shardOfSync(name);
    return { shard, owner: this.coordinator?.holderOf(shard) ?? '', mine: this.coordinator?.accepts(shard) === true };
  }
}
