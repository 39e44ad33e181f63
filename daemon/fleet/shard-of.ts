// The contract's hash and the sync → shard map live in daemon/shard/ (one home); the fleet view
// reaches them through here.
export { ShardMap, shardOf, SINGLETON_SHARD, type ShardKind } from '../shard/index.js';
