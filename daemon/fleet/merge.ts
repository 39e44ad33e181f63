// The fleet document: every sync's (and image policy's) entry from the replica that owns it,
// merged into this replica's own /status. Pure: the Leases' roster and the peers' answers are
// inputs. An entry whose owner gave no usable answer is this replica's own row marked
// `stale: true` with the reason — the fleet view never fails as a whole because a peer did.
import type { SourceStatus } from '../status/index.js';
import type { RegistryStats } from '../images/metrics.js';
import { ownerOfShard, type Owner } from './owner.js';
import { SINGLETON_SHARD } from './shard-of.js';
import type { Roster } from './roster.js';
import type { FleetReplica, FleetStatus, StaleMark } from './types.js';

/** A peer's `?scope=local` document, or why there is none. */
export type PeerAnswer = { doc: FleetStatus } | { error: string };

export interface MergeInput {
  local: FleetStatus;
  self: string;
  /** Each sync's shard, from the owner's own map (ShardedWork.shardOfSync). */
  shardOfSync: (name: string) => number;
  roster: Roster;
  /** By identity: the answers of the peers that own something. */
  answers: ReadonlyMap<string, PeerAnswer>;
}

/** The entry of `name` from its owner, or the local one marked stale. */
function pick<T extends { name: string }>(
  owner: Owner,
  localEntries: readonly T[],
  fromDoc: (doc: FleetStatus) => readonly T[],
  answers: ReadonlyMap<string, PeerAnswer>,
  name: string,
  what: string,
): (T & StaleMark & { shard: number; owner: string })[] {
  const tag = { shard: owner.shard, owner: owner.identity };
  const mine = localEntries.filter((e) => e.name === name);
  const stale = (reason: string) => mine.map((e) => ({ ...e, ...tag, stale: true as const, staleReason: reason }));
  if (owner.at === 'self') return mine.map((e) => ({ ...e, ...tag }));
  if (owner.at === 'unknown') return stale(owner.reason);
  const answer = answers.get(owner.identity);
  if (!answer) return stale(`owner "${owner.identity}" was not asked`);
  if ('error' in answer) return stale(answer.error);
  const theirs = fromDoc(answer.doc).filter((e) => e.name === name);
  if (theirs.length === 0) return stale(`owner "${owner.identity}" reports no ${what} "${name}" (a different configuration?)`);
  return theirs.map((e) => {
    const { stale: _s, staleReason: _r, ...clean } = e as T & StaleMark;
    return { ...(clean as T), ...tag };
  });
}

/** Of several replicas' rows of one name, the one that moved last (by `key`'s timestamp). */
function newest<T extends { name: string }>(rows: readonly T[], key: (r: T) => string | undefined): T[] {
  const byName = new Map<string, T>();
  for (const r of rows) {
    const prev = byName.get(r.name);
    if (!prev || (key(r) ?? '') > (key(prev) ?? '')) byName.set(r.name, r);
  }
  return [...byName.values()];
}

function sumRegistries(docs: readonly FleetStatus[]): Record<string, RegistryStats> {
  const out: Record<string, RegistryStats> = {};
  for (const d of docs)
    for (const [host, s] of Object.entries(d.registries ?? {})) {
      const t = (out[host] ??= { requests: 0, retries: 0, rateLimited: 0, errors: 0 });
      t.requests += s.requests;
      t.retries += s.retries;
      t.rateLimited += s.rateLimited;
      t.errors += s.errors;
    }
  return out;
}

export function mergeFleet({ local, self, shardOfSync, roster, answers }: MergeInput): FleetStatus {
  const docs = [local, ...[...answers.values()].flatMap((a) => ('doc' in a ? [a.doc] : []))];
  const syncNames = [...new Set(local.syncs.map((s) => s.name))];
  const imageNames = [...new Set(local.images.map((i) => i.name))];
  const syncs = syncNames.flatMap((n) => pick(ownerOfShard(roster, shardOfSync(n), self), local.syncs, (d) => d.syncs, answers, n, 'sync'));
  // Image policies and automations are singletons of shard 0's owner (daemon/shard/work.ts).
  const singletons = ownerOfShard(roster, SINGLETON_SHARD, self);
  const images = imageNames.flatMap((n) => pick(singletons, local.images, (d) => d.images, answers, n, 'image policy'));
  const updateNames = [...new Set(local.imageUpdates.map((a) => a.name))];
  const imageUpdates = updateNames.flatMap((n) =>
    pick(singletons, local.imageUpdates, (d) => d.imageUpdates, answers, n, 'image update automation'),
  );
  // Sources are fetched by every replica that owns one of their syncs: the row that moved last is the fleet's.
  const sources = newest<SourceStatus>(
    docs.flatMap((d) => d.sources),
    (s) => s.lastFetchAt,
  );
  const replicas: FleetReplica[] = [...roster.members.values()].map((m) => {
    const a = answers.get(m.identity);
    const answered = m.identity === self || (a !== undefined && 'doc' in a);
    return {
      identity: m.identity,
      ...(m.address ? { address: m.address } : {}),
      live: m.live,
      answered,
      ...(a && 'error' in a ? { error: a.error } : {}),
    };
  });
  const order = new Map(local.sources.map((s, i) => [s.name, i]));
  sources.sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9));
  return {
    ...local,
    syncs,
    images,
    sources,
    imageUpdates,
    registries: sumRegistries(docs),
    fleet: { mergedBy: self, replicas },
  };
}
