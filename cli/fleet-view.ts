// The fleet parts of `gitops-seal status` (issue 21): with --shards every replica's /status is
// the whole fleet's, each sync's row from the replica that owns it. Read loosely, field by
// field (daemon/fleet/types.ts): a daemon without sharding has none of these fields.
import type { SyncStatus } from '../daemon/status/index.js';
import type { StatusDocument } from './daemon-client.js';

interface FleetFields {
  owner?: unknown;
  shard?: unknown;
  stale?: unknown;
  staleReason?: unknown;
}

const fields = (s: SyncStatus): FleetFields => s as SyncStatus & FleetFields;

/** Whether the document is a sharded fleet's (its rows name their owners). */
export function isFleet(doc: StatusDocument): boolean {
  return typeof doc['sharding'] === 'object' && doc['sharding'] !== null;
}

/** The REPLICA cell: the owner, `(none)` while the shard has no owner, `?` marks a row not current. */
export function ownerCell(s: SyncStatus): string {
  const f = fields(s);
  const owner = typeof f.owner === 'string' ? f.owner || '(none)' : '-';
  return f.stale === true ? `${owner}?` : owner;
}

/** Why a row is not current (its owner did not answer), or undefined. */
export function staleReason(s: SyncStatus): string | undefined {
  const f = fields(s);
  if (f.stale !== true) return undefined;
  return typeof f.staleReason === 'string' ? f.staleReason : 'its owner did not answer';
}

/** The first line of the table view for a fleet: who answered, out of whom. */
export function fleetHeadline(doc: StatusDocument): string {
  const sharding = doc['sharding'] as { identity?: unknown; shards?: unknown; owned?: unknown };
  const fleet = doc['fleet'] as { replicas?: unknown; error?: unknown } | undefined;
  const replicas = Array.isArray(fleet?.replicas) ? (fleet.replicas as { identity?: unknown; live?: unknown; answered?: unknown }[]) : [];
  const answered = replicas.filter((r) => r.answered === true).length;
  const live = replicas.filter((r) => r.live === true).length;
  const me = typeof sharding.identity === 'string' ? sharding.identity : '?';
  const owned = Array.isArray(sharding.owned) ? sharding.owned.length : 0;
  const shards = typeof sharding.shards === 'number' ? sharding.shards : '?';
  const err = typeof fleet?.error === 'string' ? ` — Leases unreadable: ${fleet.error}` : '';
  return `fleet view from replica "${me}" (owns ${owned} of ${shards} shards): ${answered} of ${replicas.length} replicas answered, ${live} live${err}`;
}
