// Which shard a sync or an image policy belongs to, and the rendezvous score of a (shard,
// member) pair. Both are plain sha256 so every replica (and h21b's fleet view) computes the same
// answer from names alone, whatever the process, platform or Node.js version.
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
