// The map fence: replicas whose configurations differ compute different sync → shard maps
// (shard-map.ts), so a sync in shard 3 for one and shard 5 for another would be reconciled by
// both holders at once. During a rolling update old and new Pods run together, so the group
// keeps one map at work at a time:
//  - each member Lease carries its replica's map fingerprint; a member with another one (or none:
//    an older version) is "foreign" and gets no shards in our assignment;
//  - if a live foreign member older than us holds any live shard, we take nothing and hand back
//    (drained) everything we hold: the incumbents' map wins, and we wait until no foreign member
//    holds a shard (the last old replica releases its shards on shutdown);
//  - foreign holders younger than us give way to us, so we go on.
// Age: the member record's acquireTime, written once per process at its first member-Lease write
// (coordinator/member-lease.ts) and read by everyone from the same LIST, so every replica orders
// a pair alike (ties by identity) whatever the skew of wall clocks — exactly one of two
// disagreeing members gives way. Not creationTimestamp: Leases are never deleted, so a restarted
// replica with a stable identity would keep the age of its first start (and it has 1 s resolution).
import type { Logger } from '../log.js';
import { decideShards, liveHolders, type ShardDecision, type ShardView } from './assign.js';
import type { GroupLease } from './lease-api.js';
import { heldAt, type Observations } from './liveness.js';
import { ANNOTATION_MAP, LABEL_ROLE, LABEL_SHARD, shardLeaseName } from './names.js';

export interface FenceMember {
  identity: string;
  /** The member Lease's map fingerprint (undefined: no annotation, an older version). */
  fingerprint: string | undefined;
  /** When it joined: its member record's acquireTime (undefined: not known yet). */
  joined: string | undefined;
}

/**
 * Every shard Lease as judged at local time `now`: shards 0..N−1 (listed or not), and the listed
 * ones beyond N — another map's (with `auto`, N differs between configurations), whose holders
 * the fence must see too.
 */
export function shardViews(
  listed: ReadonlyMap<string, GroupLease>,
  obs: Observations,
  group: string,
  shards: number,
  now: number,
): ShardView[] {
  const view = (k: number, l: GroupLease | undefined): ShardView => {
    const o = l && obs.get(l.name);
    return { shard: k, holder: l?.record.holderIdentity, expired: o ? !heldAt(o, now) : false };
  };
  const views = Array.from({ length: shards }, (_, k) => view(k, listed.get(shardLeaseName(group, k))));
  for (const l of listed.values()) {
    const k = Number(l.labels[LABEL_SHARD]);
    if (l.labels[LABEL_ROLE] === 'shard' && Number.isInteger(k) && k >= shards && l.name === shardLeaseName(group, k))
      views.push(view(k, l));
  }
  return views;
}

/** The members as the fence sees them, from their member Leases (identity → Lease). */
export function fenceMembers(leases: ReadonlyMap<string, GroupLease>): FenceMember[] {
  return [...leases].map(([identity, l]) => ({ identity, fingerprint: l.annotations[ANNOTATION_MAP], joined: l.record.acquireTime }));
}

export interface FencedDecision extends ShardDecision {
  /** Older foreign members that hold shards: while any, we take nothing and give everything back. */
  waitingFor: string[];
}

function joinKey(m: FenceMember, unknown: number): number {
  const t = m.joined ? Date.parse(m.joined) : NaN;
  return Number.isNaN(t) ? unknown : t;
}

/** Whether member a is older than b (a's join first; ties by identity). Unknown joins: see below. */
function older(a: FenceMember, aKey: number, b: FenceMember, bKey: number): boolean {
  if (aKey !== bKey) return aKey < bKey;
  // Same millisecond: the microsecond text of the apiserver's format, then the name.
  const at = a.joined ?? '';
  const bt = b.joined ?? '';
  if (at !== bt) return at < bt;
  return a.identity < b.identity;
}

/**
 * `self`: this replica (its `joined` undefined until its member Lease was first written: then it
 * counts as the youngest — it waits rather than risk a second map). `members`: the live members
 * (self may be among them). `views`: every shard Lease as judged now. `held`: the shards we hold.
 */
export function decideFenced(
  self: FenceMember,
  shards: number,
  members: readonly FenceMember[],
  views: readonly ShardView[],
  held: ReadonlySet<number>,
): FencedDecision {
  const others = members.filter((m) => m.identity !== self.identity);
  const foreign = others.filter((m) => m.fingerprint !== self.fingerprint);
  const holding = new Set(liveHolders(views, [self.identity, ...others.map((m) => m.identity)]).values());
  // A foreign member without a join time counts as the oldest, we without one as the youngest:
  // either way we wait, never both proceed on a guess.
  const selfKey = joinKey(self, Infinity);
  const waitingFor = foreign
    .filter((m) => holding.has(m.identity) && older(m, joinKey(m, -Infinity), self, selfKey))
    .map((m) => m.identity)
    .sort();
  if (waitingFor.length > 0) return { acquire: [], release: [...held].sort((a, b) => a - b), renew: [], waiting: [], waitingFor };
  const peers = [self.identity, ...others.filter((m) => m.fingerprint === self.fingerprint).map((m) => m.identity)];
  return { ...decideShards(self.identity, shards, peers, views, held), waitingFor };
}

/** A log line when this replica starts or stops waiting for older foreign members. */
export function logWaiting(log: Logger, identity: string, was: readonly string[], now: readonly string[]): void {
  if (now.length > 0 && was.join() !== now.join())
    log.info(
      { replica: identity, foreign: now },
      'sharding: older replicas with another shard map hold shards; holding none until they are gone',
    );
  else if (now.length === 0 && was.length > 0)
    log.info({ replica: identity }, 'sharding: no replica with another shard map holds shards; taking part again');
}
