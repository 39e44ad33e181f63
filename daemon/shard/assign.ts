// The shard assignment, as pure functions of what was observed (like leader/decide.ts), so it
// can be tested without an apiserver.
//
// Target: sticky rendezvous with balanced quotas. Inputs are the live members and the current
// live holder of each shard, both read from the Leases, so every replica with the same view
// computes the same target:
//  1. Quotas: ⌊N/M⌋ each, and the N mod M extra ones go to the members that hold the most now
//     (ties by name) — so nobody who holds ⌈N/M⌉ is asked to give one up to someone else.
//  2. Each member keeps what it holds up to its quota; over it, it keeps the shards where its
//     rendezvous score is best and hands back the rest.
//  3. The shards nobody keeps (never held, held by a departed member, handed back) go to members
//     with room, (shard, member) pairs best score first — rendezvous hashing with bounded load.
// Why sticky: the stateless bounded-load target (a function of the members alone) displaced
// survivors' shards whenever the cap changed (a leaver freed a cap slot a survivor's shard had
// been squeezed out of), moving up to half again as many shards as the leaver or joiner owned.
// Here a leaver moves exactly its own shards, a joiner takes ⌊N/M⌋ from the members above
// their new share, and nothing moves while membership stays the same: at the fixed point every
// member holds its quota, and the quotas computed from those counts are the same ones.
//
// Views differ between replicas for a moment (one has seen a joiner, another not yet); each
// replica only ever takes a shard its own view gives it and that is free in the Lease, so
// disagreement costs a wait, never two holders; and a shard is handed back only by a member
// over its quota, which a shard's taker is not (it took it into room), so a shard does not
// bounce back.
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

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `holders`: shard → its current holder, as read from the Leases (only live holders count;
 * a shard held by someone not in `members` is treated as free). Without holders this is the
 * plain bounded-load rendezvous assignment (a cold start).
 */
export function targetAssignment(shards: number, members: readonly string[], holders: ReadonlyMap<number, string> = new Map()): Assignment {
  const unique = [...new Set(members)].sort(byName);
  const out = new Map<string, number[]>(unique.map((m) => [m, []]));
  if (unique.length === 0) return out;
  const current = new Map<string, number[]>(unique.map((m) => [m, []]));
  for (let k = 0; k < shards; k++) {
    const h = holders.get(k);
    if (h !== undefined) current.get(h)?.push(k);
  }
  // 1. Quotas: the N mod M larger ones to those holding most now.
  const base = Math.floor(shards / unique.length);
  let extra = shards % unique.length;
  const quota = new Map<string, number>();
  for (const m of [...unique].sort((a, b) => current.get(b)!.length - current.get(a)!.length || byName(a, b)))
    quota.set(m, base + (extra-- > 0 ? 1 : 0));
  // 2. Keep up to the quota, best scores first.
  const kept = new Set<number>();
  for (const m of unique) {
    const best = current
      .get(m)!
      .map((k) => ({ k, s: score(k, m) }))
      .sort((a, b) => b.s - a.s || a.k - b.k)
      .slice(0, quota.get(m));
    for (const { k } of best) {
      out.get(m)!.push(k);
      kept.add(k);
    }
  }
  // 3. The rest to members with room, pairs best-first; ties (practically never with 48 bits)
  // broken by shard and name so that every replica sorts the same way.
  const pairs: { shard: number; member: string; score: number }[] = [];
  const roomy = unique.filter((m) => out.get(m)!.length < quota.get(m)!);
  for (let k = 0; k < shards; k++) if (!kept.has(k)) for (const m of roomy) pairs.push({ shard: k, member: m, score: score(k, m) });
  pairs.sort((a, b) => b.score - a.score || a.shard - b.shard || byName(a.member, b.member));
  for (const p of pairs) {
    if (kept.has(p.shard)) continue;
    const list = out.get(p.member)!;
    if (list.length >= quota.get(p.member)!) continue;
    list.push(p.shard);
    kept.add(p.shard);
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

/** shard → holder, for the shards whose Lease names a live member and has not run out. */
export function liveHolders(views: readonly ShardView[], members: readonly string[]): Map<number, string> {
  const live = new Set(members);
  const out = new Map<number, string>();
  for (const v of views) if (v.holder && !v.expired && live.has(v.holder)) out.set(v.shard, v.holder);
  return out;
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
 * says us but that we did not acquire in this process is taken over as "acquire"). The target
 * is computed from the Lease text (`views`) so that every replica computes it alike.
 */
export function decideShards(
  identity: string,
  shards: number,
  liveMembers: readonly string[],
  views: readonly ShardView[],
  held: ReadonlySet<number>,
): ShardDecision {
  const members = liveMembers.includes(identity) ? liveMembers : [...liveMembers, identity];
  const mine = new Set(targetAssignment(shards, members, liveHolders(views, members)).get(identity) ?? []);
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
