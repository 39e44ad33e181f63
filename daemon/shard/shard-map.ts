// Which shard each sync belongs to: a balanced map, not plain hashing.
//
// Why: the shard assignment (assign.ts) spreads *shards* evenly over the replicas, but the work is
// syncs. With plain hashing, `shardOf('sync', name, N)` at S ≈ N syncs leaves about a third of the
// shards empty and puts 2–3 syncs on others (the birthday problem), so 60 syncs on 60 shards over
// 3 replicas came out 17–23 syncs per replica although every replica held exactly 20 shards.
//
// How: every shard gets ⌊S/N⌋ or ⌈S/N⌉ syncs (exactly one each when S = N), by bounded-load
// rendezvous over (sync, shard) pairs — the same idea assign.ts uses for shards over members:
// every pair has a pseudo-random score, the pairs are taken best score first, and a sync takes
// the pair's shard if it has no shard yet and the shard has room. Room: below ⌊S/N⌋, or below
// ⌈S/N⌉ while fewer than S mod N shards have reached ⌈S/N⌉ — so exactly S mod N shards end at
// ⌈S/N⌉, the rest at ⌊S/N⌋, and every sync finds one (the capacities add up to S).
//
// Why rendezvous and not linear probing (a sync takes its hashed shard, else the next one with
// room): both balance exactly, but near S = N probing builds long runs of full shards, and one
// sync added or removed shifts a whole run by one shard: adding one to 60 syncs on 60 shards moved
// 22 others (median, up to 59) against 4 (at most 7) here, over 100 groups (shard-map.test.ts). A sync that moves is owned by two
// replicas for a moment during a rolling update (old and new configuration), so fewer is better.
//
// The map is a pure function of the *set* of names and N (deduplicated and sorted by code unit,
// not by the locale), so every replica and the fleet view compute the same map whatever the
// configuration's order, platform or Node.js version. Changing N re-maps most syncs, as with
// plain hashing.
import { createHash } from 'node:crypto';
import { shardOf } from './hash.js';

export class ShardMap {
  private readonly bySync = new Map<string, number>();
  private readonly loads: number[];
  /**
   * sha256 over N and the sorted names (16 hex): two replicas compute the same map exactly when
   * their fingerprints match. Written on the member Lease so that replicas with another map (a
   * rolling update after a config change) can be told apart and fenced (fence.ts).
   */
  readonly fingerprint: string;

  constructor(
    syncs: Iterable<string>,
    readonly shards: number,
  ) {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shard count must be a positive integer, got ${shards}`);
    const names = [...new Set(syncs)].sort(byCodeUnit);
    // JSON: unambiguous whatever characters a name holds.
    this.fingerprint = createHash('sha256')
      .update(JSON.stringify([shards, names]))
      .digest('hex')
      .slice(0, 16);
    const n = shards;
    const low = Math.floor(names.length / n);
    const extra = names.length % n; // how many shards hold low + 1
    // One sha256 per sync, then a 32-bit mix per shard: S × N sha256 would cost seconds at 1,000 × 1,024.
    const seeds = names.map((name) => createHash('sha256').update(`sync/${name}`).digest().readUInt32BE(4));
    const scores = new Uint32Array(names.length * n);
    for (let i = 0; i < names.length; i++) for (let k = 0; k < n; k++) scores[i * n + k] = pairScore(seeds[i]!, k);
    // Pair p = sync p / N on shard p mod N; best score first, ties by p (names are sorted, so p is too).
    const pairs = Uint32Array.from({ length: scores.length }, (_, p) => p).sort((a, b) => scores[b]! - scores[a]! || a - b);
    this.loads = new Array<number>(n).fill(0);
    const taken = new Array<boolean>(names.length).fill(false);
    let atHigh = 0;
    let placed = 0;
    for (const p of pairs) {
      if (placed === names.length) break;
      const i = Math.floor(p / n);
      const k = p % n;
      const load = this.loads[k]!;
      if (taken[i] || !(load < low || (load === low && atHigh < extra))) continue;
      if (load === low) atHigh++;
      this.loads[k] = load + 1;
      taken[i] = true;
      placed++;
      this.bySync.set(names[i]!, k);
    }
  }

  /** The shard of sync `name`; a name not in the map (should not happen) gets plain shardOf. */
  shardOf(name: string): number {
    return this.bySync.get(name) ?? shardOf('sync', name, this.shards);
  }

  has(name: string): boolean {
    return this.bySync.has(name);
  }

  /** How many syncs each shard holds (index = shard). */
  load(): number[] {
    return [...this.loads];
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sync's score for shard k: murmur3's 32-bit finalizer over its seed and k (integer arithmetic, the same everywhere). */
function pairScore(seed: number, k: number): number {
  let h = (seed ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
