// The shard assignment, as pure functions of what was observed (like leader/decide.ts), so it
// can be tested without an apiserver.
//
// Target: rendezvous hashing with bounded load. Every (shard, member) pair gets a score; pairs
// are taken best-first and a shard goes to the first member of its pairs that still has room,
// each member taking at most ⌈shards/members⌉. Every replica that sees the same live members
// computes the same target, and it depends on nothing else, so nothing moves while membership
// stays the same (no flapping). A member joining takes the pairs where it scores best (about
// 1/(members+1) of the shards); a member leaving frees only its own shards.
//
// Decision: which shards this replica acquires (target says so and the Lease is free, released
// or expired as judged by leader/decide.ts's rule) and which it releases (it holds them but the
// target gives them to someone else: that member takes them once they are released).
import { score } from './hash.js';

/** member → the shards it should own (every live member has an entry, possibly empty). */
export type Assignment = ReadonlyMap<string, readonly number[]>;

/** The fair share: no member owns more than this. */
export function fairShare(shards: number, members: number): number {
  return members === 0 ? 0 : Math.ceil(shards / members);
}

export function targetAssignment(shards: number, members: readonly string[]): Assignment {
  const unique = [...new Set(members)].sort();
  const out = new Map<string, number[]>(unique.map((m) => [m, []]));
  if (unique.length === 0) return out;
  const cap = fairShare(shards, unique.length);
  const pairs: { shard: number; member: string; score: number }[] = [];
  for (let k = 0; k < shards; k++) for (const m of unique) pairs.push({ shard: k, member: m, score: score(k, m) });
  // Best pairs first; ties (practically never with 48 bits) broken by names so that every
  // replica sorts the same way.
  pairs.sort((a, b) => b.score - a.score || a.shard - b.shard || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  const taken = new Set<number>();
  for (const p of pairs) {
    if (taken.has(p.shard)) continue;
    const list = out.get(p.member) as number[];
    if (list.length >= cap) continue;
    list.push(p.shard);
    taken.add(p.shard);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** One shard Lease as this replica judges it now. */
export interface ShardView {
  shard: number;
  /** The holder in the Lease ("" = released or never held; undefined = no Lease yet). */
  holder: string | undefined;
  /** Whether the holder's lease ran out (local monotonic clock since we saw the record change). */
  expired: boolean;
}

export interface ShardDecision {
  /** Free, released or expired shards the target gives us: take them. */
  acquire: number[];
  /** Shards we hold that the target gives to another member: stop their work, then release. */
  release: number[];
  /** Shards we hold and keep: renew. */
  renew: number[];
  /** Shards the target gives us that another live holder still has: wait for its release. */
  waiting: number[];
}

/**
 * `held`: the shards this replica holds now (its own state, not the Lease text: a Lease that
 * says us but that we did not acquire in this process is taken over as "acquire").
 */
export function decideShards(
  identity: string,
  shards: number,
  liveMembers: readonly string[],
  views: readonly ShardView[],
  held: ReadonlySet<number>,
): ShardDecision {
  const members = liveMembers.includes(identity) ? liveMembers : [...liveMembers, identity];
  const mine = new Set(targetAssignment(shards, members).get(identity) ?? []);
  const byShard = new Map(views.map((v) => [v.shard, v]));
  const d: ShardDecision = { acquire: [], release: [], renew: [], waiting: [] };
  for (let k = 0; k < shards; k++) {
    if (held.has(k)) {
      (mine.has(k) ? d.renew : d.release).push(k);
      continue;
    }
    if (!mine.has(k)) continue;
    const v = byShard.get(k);
    const free = !v || v.holder === undefined || v.holder === '' || v.holder === identity || v.expired;
    (free ? d.acquire : d.waiting).push(k);
  }
  return d;
}
