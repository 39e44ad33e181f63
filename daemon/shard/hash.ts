// The contract's plain hash of a name to a shard, and the rendezvous score of a (shard, member)
// pair. Both are plain sha256 so every replica (and the fleet view) computes the same answer from
// names alone, whatever the process, platform or Node.js version. A sync's shard is not the plain
// hash but the balanced map's (shard-map.ts), which falls back to it for a name it does not know.
import { createHash } from 'node:crypto';

export type ShardKind = 'sync' | 'image';

/** The contract's hash: first 4 bytes of sha256(`kind/name`) as a big-endian uint32, mod `shards`. */
export function shardOf(kind: ShardKind, name: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shard count must be a positive integer, got ${shards}`);
  return createHash('sha256').update(`${kind}/${name}`).digest().readUInt32BE(0) % shards;
}

/**
 * Rendezvous (highest-random-weight) score of `member` for `shard`: 48 bits of
 * sha256(`shard/member`), exact in a JavaScript number. A member leaving takes away only its own
 * pairs, so the other shards keep their best member.
 */
export function score(shard: number, member: string): number {
  return createHash('sha256').update(`${shard}/${member}`).digest().readUIntBE(0, 6);
}
