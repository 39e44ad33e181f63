// Which shard a sync or image policy belongs to — the contract's hash (notes/shard-contract.md):
// the first 4 bytes of sha256(`${kind}/${name}`) as a big-endian uint32, mod `shards`.
// daemon/shard/ owns this function; this copy exists so the fleet view can be built and tested
// before the shard core is merged, and is meant to become a one-line re-export of it.
import { createHash } from 'node:crypto';

export type ShardKind = 'sync' | 'image';

export function shardOf(kind: ShardKind, name: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shard count must be a positive integer, got ${shards}`);
  return createHash('sha256').update(`${kind}/${name}`, 'utf8').digest().readUInt32BE(0) % shards;
}
