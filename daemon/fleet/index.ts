// Every replica answers for the whole fleet (issue 21): the fleet /status merged from each
// owner's `?scope=local` answer, and hook/reconcile requests sent on to the owning replica.
// Reads the shard group's Leases (daemon/shard/README.md); daemon/shard/ writes them.
export { Fleet, type Dispatch, type FleetOptions, type Incoming } from './fleet.js';
export { FleetLeaseError, PeerError } from './errors.js';
export { mergeFleet, type MergeInput, type PeerAnswer } from './merge.js';
export { ownerOfShard, type Owner } from './owner.js';
export { RosterReader, rosterOf, type Member, type Roster, type RosterOptions } from './roster.js';
export { ShardMap, shardOf, type ShardKind } from './shard-of.js';
export {
  ANNOTATION_ADDRESS,
  ANNOTATION_IDENTITY,
  FORWARDED_BY_HEADER,
  groupSelector,
  LABEL_GROUP,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  LABEL_SHARD,
} from './labels.js';
export type { FleetImageStatus, FleetReplica, FleetStatus, FleetSummary, FleetSyncStatus, ShardingStatus, StaleMark } from './types.js';
