export { shardOf, type ShardKind } from './hash.js';
export { decideShards, fairShare, liveHolders, targetAssignment, type Assignment, type ShardDecision, type ShardView } from './assign.js';
export { ShardCoordinator, type MemberView, type MoveDirection, type ShardCallbacks } from './coordinator.js';
export { GroupLeaseApi, type GroupLease } from './lease-api.js';
export {
  ANNOTATION_ADDRESS,
  ANNOTATION_IDENTITY,
  groupSelector,
  LABEL_GROUP,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  LABEL_SHARD,
  memberLeaseName,
  memberSlug,
  shardLeaseName,
} from './names.js';
export { AUTO_SHARDS_MAX, defaultAdvertiseUrl, parseShards, shardingOptions, type ShardingOptions } from './options.js';
export { ShardMap } from './shard-map.js';
export { ShardedWork, SINGLETON_SHARD, type ShardedParts, type ShardEvents } from './work.js';
