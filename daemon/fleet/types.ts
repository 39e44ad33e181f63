// The /status fields of sharding (daemon/shard/README.md) as the fleet view reads and adds
// them. daemon/shard/ fills `sharding` and each entry's shard/owner on every replica's local
// document; the fleet view adds `stale` (+ why) to entries it could not get from their owner and
// `fleet` (who answered). Additive only: an older CLI reads the document as before.
import type { DaemonStatus, ImagePolicyStatus, ShardingStatus, SyncStatus } from '../status/index.js';
import type { AutomationStatus } from '../writeback/index.js';

export type { ShardingStatus };

/** What the fleet view adds to an entry it could not take from its owner's answer. */
export interface StaleMark {
  /** The entry is this replica's own (old) row, not the owner's. */
  stale?: true;
  staleReason?: string;
}

export type FleetSyncStatus = SyncStatus & { shard?: number; owner?: string } & StaleMark;
export type FleetImageStatus = ImagePolicyStatus & { shard?: number; owner?: string } & StaleMark;
export type FleetAutomationStatus = AutomationStatus & { shard?: number; owner?: string } & StaleMark;

/** One replica as the fleet view met it. */
export interface FleetReplica {
  identity: string;
  address?: string;
  /** Its member Lease is renewed (judged on this replica's clock). */
  live: boolean;
  /** Whether its ?scope=local answer was used (always true for the replica answering). */
  answered: boolean;
  /** Why not (names the peer and the cause). */
  error?: string;
}

export interface FleetSummary {
  /** The replica that merged this document. */
  mergedBy: string;
  replicas: FleetReplica[];
  /** Set when the Leases could not be read: every entry then is this replica's own. */
  error?: string;
}

export type FleetStatus = Omit<DaemonStatus, 'syncs' | 'images' | 'imageUpdates'> & {
  syncs: FleetSyncStatus[];
  images: FleetImageStatus[];
  imageUpdates: FleetAutomationStatus[];
  sharding?: ShardingStatus;
  fleet?: FleetSummary;
};
