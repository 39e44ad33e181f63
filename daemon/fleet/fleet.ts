// Every replica answers for the whole fleet: `status()` is the default /status (each sync's
// entry from its owner's `/status?scope=local`, asked in parallel with a bounded timeout), and
// `dispatch()` sends a hook or reconcile request to the replicas that own its syncs
// (daemon/shard/README.md). Without sharding (no `sharding` in the local document) both are
// today's behaviour: the local status, and the request handled here.
import type { KubeClient } from '../kube/client.js';
import { FORWARDED_BY_HEADER } from './labels.js';
import { mergeFleet, type PeerAnswer } from './merge.js';
import { ownerOfShard, type Owner } from './owner.js';
import { askPeer, forwardableHeaders, type PeerRequest } from './peer.js';
import { RosterReader, type Roster } from './roster.js';
import { SINGLETON_SHARD } from './shard-of.js';
import type { FleetStatus } from './types.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';

export interface FleetOptions {
  /** The home cluster, where the group's Leases live. */
  kube: Pick<KubeClient, 'request'>;
  namespace: string;
  group: string;
  identity: string;
  /** This replica's own /status document (`?scope=local`). */
  local: () => FleetStatus;
  /**
   * Each sync's shard, as this replica's own work maps it (ShardedWork.shardOfSync: the balanced
   * map of all the configuration's syncs). Passed in rather than recomputed from the document's
   * names, so the fleet view and the forwarders always agree with what the owners run. Asked only
   * while the local document carries `sharding`.
   */
  shardOfSync: (name: string) => number;
  /** Bound on one peer exchange (default 2 s). */
  peerTimeoutMs?: number;
  /** Reuse a read of the Leases this long (default 1 s). */
  refreshMs?: number;
  /** Retry-After when an owner cannot be reached (default 5 s: about one retry period plus the time to take a shard over). */
  retryAfterSeconds?: number;
  /** Monotonic clock (tests). */
  now?: () => number;
  /** Where a request that could not reach its owner is logged (which replica, why). */
  log?: Pick<Logger, 'warn'>;
}

/** What became of a dispatched request. */
export interface Dispatch {
  /** This replica owns at least one of the targets (or there is no sharding): handle it here. */
  local: boolean;
  /** Identities that accepted the forwarded request. */
  forwarded: string[];
  /** Owners that could not take it (unknown, not live, unreachable, or answered non-2xx). */
  failed: { identity: string; reason: string }[];
  retryAfterSeconds: number;
}

/** The request to send on, as the route received it. */
export interface Incoming {
  method: 'POST';
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class Fleet {
  readonly identity: string;
  private readonly roster: RosterReader;
  private readonly timeoutMs: number;
  private readonly retryAfter: number;

  constructor(private readonly opts: FleetOptions) {
    this.identity = opts.identity;
    this.roster = new RosterReader(opts.kube, {
      namespace: opts.namespace,
      group: opts.group,
      ...(opts.refreshMs !== undefined ? { refreshMs: opts.refreshMs } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    this.timeoutMs = opts.peerTimeoutMs ?? 2000;
    this.retryAfter = opts.retryAfterSeconds ?? 5;
  }

  /** This replica's own document: what `?scope=local` answers and peers merge. */
  local(): FleetStatus {
    return this.opts.local();
  }

  /** The fleet's /status as this replica can put it together now. Never throws for a peer's or the Leases' sake. */
  async status(): Promise<FleetStatus> {
    const local = this.opts.local();
    const shards = local.sharding?.shards;
    if (!shards) return local;
    let roster: Roster;
    try {
      roster = await this.roster.read();
    } catch (err) {
      return this.unmerged(local, err instanceof Error ? err.message : String(err));
    }
    const owners = [
      ...local.syncs.map((s) => ownerOfShard(roster, this.opts.shardOfSync(s.name), this.identity)),
      ...(local.images.length + local.imageUpdates.length > 0 ? [ownerOfShard(roster, SINGLETON_SHARD, this.identity)] : []),
    ];
    const peers = new Map<string, string>();
    for (const o of owners) if (o.at === 'peer') peers.set(o.identity, o.address);
    const answers = new Map<string, PeerAnswer>(
      await Promise.all([...peers].map(async ([id, address]) => [id, await this.localStatusOf(id, address)] as const)),
    );
    return mergeFleet({ local, self: this.identity, shardOfSync: this.opts.shardOfSync, roster, answers });
  }

  /** The Leases could not be read: every entry another replica owns is this replica's row, marked stale. */
  private unmerged(local: FleetStatus, error: string): FleetStatus {
    const mark = <T extends { owner?: string }>(e: T): T => (e.owner === this.identity ? e : { ...e, stale: true, staleReason: error });
    return {
      ...local,
      syncs: local.syncs.map(mark),
      images: local.images.map(mark),
      fleet: { mergedBy: this.identity, replicas: [], error },
    };
  }

  private async localStatusOf(identity: string, address: string): Promise<PeerAnswer> {
    try {
      const res = await askPeer(
        identity,
        address,
        { method: 'GET', path: '/status?scope=local', headers: { accept: 'application/json' } },
        this.timeoutMs,
      );
      if (res.status !== 200) return { error: `replica "${identity}" at ${address}: /status?scope=local answered ${res.status}` };
      const doc = JSON.parse(res.body.toString('utf8')) as unknown;
      if (!isStatusDocument(doc)) return { error: `replica "${identity}" at ${address}: /status?scope=local is not a status document` };
      // The address may now be someone else's (a Pod IP reused after a restart): only the owner's own word counts.
      const said = doc.sharding?.identity;
      if (said !== identity) return { error: `replica "${identity}" at ${address}: answered as "${said ?? 'no identity'}"` };
      return { doc };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Who owns each of the syncs `names` now (the Leases' view; throws FleetLeaseError when they cannot be read). */
  async owners(names: readonly string[]): Promise<Owner[]> {
    const roster = await this.roster.read();
    return names.map((n) => ownerOfShard(roster, this.opts.shardOfSync(n), this.identity));
  }

  /**
   * Send `req` to each replica that owns one of the syncs `names` (once per replica), marked
   * with FORWARDED_BY_HEADER; a request that already carries it is never sent on. The caller
   * handles it here when `local` is true.
   */
  async dispatch(names: readonly string[], req: Incoming): Promise<Dispatch> {
    const base = { forwarded: [], failed: [], retryAfterSeconds: this.retryAfter };
    const shards = this.opts.local().sharding?.shards;
    if (!shards || names.length === 0 || req.headers[FORWARDED_BY_HEADER] !== undefined) return { ...base, local: true };
    let owners: Owner[];
    try {
      owners = await this.owners(names);
    } catch (err) {
      return { ...base, local: false, failed: [{ identity: '', reason: err instanceof Error ? err.message : String(err) }] };
    }
    const result: Dispatch = { ...base, local: owners.some((o) => o.at === 'self'), forwarded: [], failed: [] };
    const peers = new Map<string, string>();
    for (const o of owners) {
      if (o.at === 'peer') peers.set(o.identity, o.address);
      else if (o.at === 'unknown' && !result.failed.some((f) => f.reason === o.reason))
        result.failed.push({ identity: o.identity, reason: o.reason });
    }
    const send: PeerRequest = {
      method: req.method,
      path: req.path,
      headers: { ...forwardableHeaders(req.headers), [FORWARDED_BY_HEADER]: this.identity },
      body: req.body,
    };
    await Promise.all(
      [...peers].map(async ([id, address]) => {
        try {
          const res = await askPeer(id, address, send, this.timeoutMs);
          if (res.status >= 200 && res.status < 300) result.forwarded.push(id);
          else result.failed.push({ identity: id, reason: `replica "${id}" at ${address} answered ${res.status}` });
        } catch (err) {
          result.failed.push({ identity: id, reason: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    result.forwarded.sort();
    if (result.failed.length > 0)
      this.opts.log?.warn({ path: req.path, failed: result.failed }, 'request not handed to its owner: answered 503');
    return result;
  }
}

function isStatusDocument(v: unknown): v is FleetStatus {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  const named = (x: unknown): boolean => typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string';
  return (
    Array.isArray(d.syncs) &&
    d.syncs.every(named) &&
    Array.isArray(d.sources) &&
    (d.images === undefined || (Array.isArray(d.images) && d.images.every(named))) &&
    (d.imageUpdates === undefined || Array.isArray(d.imageUpdates))
  );
}
