// Who answers for a sync or image policy: this replica, a peer at its advertised address, or
// nobody reachable right now (with the reason the fleet view and the forwarders report).
import type { Roster } from './roster.js';

export type Owner =
  | { shard: number; at: 'self'; identity: string }
  | { shard: number; at: 'peer'; identity: string; address: string }
  | { shard: number; at: 'unknown'; identity: string; reason: string };

/**
 * Who answers for shard k: a sync's shard comes from the owner's own map (ShardedWork.shardOfSync,
 * passed in as FleetOptions.shardOfSync), never recomputed here; the image automation's is
 * SINGLETON_SHARD (daemon/shard/work.ts).
 */
export function ownerOfShard(roster: Roster, shard: number, self: string): Owner {
  const identity = roster.holders.get(shard) ?? '';
  if (identity === '') return { shard, at: 'unknown', identity, reason: `shard ${shard} has no owner right now` };
  if (identity === self) return { shard, at: 'self', identity };
  const member = roster.members.get(identity);
  if (!member) return { shard, at: 'unknown', identity, reason: `owner "${identity}" of shard ${shard} has no member Lease` };
  if (!member.live)
    return { shard, at: 'unknown', identity, reason: `owner "${identity}" of shard ${shard} stopped renewing its member Lease` };
  if (!member.address)
    return { shard, at: 'unknown', identity, reason: `owner "${identity}" of shard ${shard} advertises no address (--advertise-url)` };
  return { shard, at: 'peer', identity, address: member.address };
}
