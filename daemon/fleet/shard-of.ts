// The contract's hash lives in daemon/shard/ (one home); the fleet view reaches it through here.
export { shardOf, SINGLETON_SHARD, type ShardKind } from '../shard/index.js';
