import { describe, expect, it } from 'vitest';
import { decideShards, fairShare, liveHolders, targetAssignment, type ShardView } from './assign.js';
import { shardOf } from './hash.js';

const counts = (a: ReturnType<typeof targetAssignment>): number[] => [...a.values()].map((l) => l.length);
/** shard → owner */
const owners = (a: ReturnType<typeof targetAssignment>): Map<number, string> => {
  const m = new Map<number, string>();
  for (const [member, list] of a) for (const k of list) m.set(k, member);
  return m;
};
const moved = (a: Map<number, string>, b: Map<number, string>): number => [...a].filter(([k, m]) => b.get(k) !== m).length;
const pods = (n: number, prefix = 'gitops-seal-7d9f8b6c5-'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${'abcdefghij'[i]}x${i}q`);

describe('shardOf', () => {
  it('is the contract hash: first 4 bytes of sha256("kind/name"), big-endian, mod N', () => {
    // `printf 'sync/apps' | sha256sum` starts 7eecf526 = 2129458470: mod 12 = 6, mod 64 = 38.
    expect(shardOf('sync', 'apps', 12)).toBe(6);
    expect(shardOf('sync', 'apps', 64)).toBe(38);
    expect(shardOf('sync', 'apps', 1)).toBe(0);
    expect(() => shardOf('sync', 'a', 0)).toThrow(RangeError);
  });

  it('spreads 600 sync names over 12 shards roughly evenly', () => {
    const c = new Array<number>(12).fill(0);
    for (let i = 0; i < 600; i++) c[shardOf('sync', `team-${i}-apps`, 12)]! += 1;
    expect(Math.min(...c)).toBeGreaterThan(30);
    expect(Math.max(...c)).toBeLessThan(75);
  });
});

describe('targetAssignment', () => {
  it('spreads 60 shards over 3 members 20/20/20, and 12 over 3 as 4/4/4', () => {
    expect(counts(targetAssignment(60, pods(3)))).toEqual([20, 20, 20]);
    expect(counts(targetAssignment(12, pods(3)))).toEqual([4, 4, 4]);
  });

  it('never gives a member more than ⌈N/members⌉ and gives every shard an owner', () => {
    for (const [n, m] of [
      [1, 3],
      [7, 3],
      [64, 5],
      [10, 10],
      [3, 7],
    ] as const) {
      const a = targetAssignment(n, pods(m));
      expect(Math.max(...counts(a))).toBeLessThanOrEqual(fairShare(n, m));
      expect(owners(a).size).toBe(n);
    }
  });

  it('one shard and one member: that member owns shard 0 (the --shards 1 leader case)', () => {
    expect([...targetAssignment(1, ['solo'])]).toEqual([['solo', [0]]]);
    expect(targetAssignment(1, ['a', 'b']).get('a')!.length + targetAssignment(1, ['a', 'b']).get('b')!.length).toBe(1);
  });

  it('depends only on the set of members, not their order or duplicates', () => {
    const a = targetAssignment(60, ['c', 'a', 'b']);
    expect(owners(targetAssignment(60, ['b', 'c', 'a', 'a']))).toEqual(owners(a));
  });

  it('a member joining moves about its share (≈1/4 of 60 when a 4th joins), nothing else', () => {
    const three = owners(targetAssignment(60, pods(3)));
    const four = owners(targetAssignment(60, pods(4), three));
    // Sticky: only the newcomer's share moves, 5 from each of the three.
    expect(moved(three, four)).toBe(15);
    expect([...four].filter(([k, m]) => three.get(k) !== m).every(([, m]) => m === pods(4)[3])).toBe(true);
    expect(counts(targetAssignment(60, pods(4), three))).toEqual([15, 15, 15, 15]);
  });

  it('a member leaving moves exactly its own shards; the survivors keep all theirs', () => {
    const [a, b, c] = pods(3) as [string, string, string];
    const before = owners(targetAssignment(60, [a, b, c]));
    const after = owners(targetAssignment(60, [a, b], before));
    expect(moved(before, after)).toBe(20);
    expect([...before].filter(([k, m]) => m !== c && after.get(k) !== m)).toEqual([]);
    expect(counts(targetAssignment(60, [a, b], before))).toEqual([30, 30]);
  });

  it('the stateless bounded-load target (no holders) displaces survivors: why holders are an input', () => {
    // 12 shards over 3 → 2: the cap rises from 4 to 6, and shards that were squeezed off their
    // best member come back to it — moves that belong to neither the leaver nor its share.
    let displaced = 0;
    for (let g = 0; g < 20; g++) {
      const m = pods(3, `r${g}-`);
      const full = owners(targetAssignment(12, m));
      const two = owners(targetAssignment(12, m.slice(0, 2)));
      displaced += [...full].filter(([k, o]) => o !== m[2] && two.get(k) !== o).length;
      expect([...full].filter(([k, o]) => o !== m[2] && owners(targetAssignment(12, m.slice(0, 2), full)).get(k) !== o)).toEqual([]);
    }
    expect(displaced).toBeGreaterThan(0);
  });

  it('is a fixed point: held as targeted, the target is what is held (nothing moves while membership stays)', () => {
    for (const [n, m] of [
      [12, 3],
      [13, 4],
      [64, 7],
      [5, 8],
    ] as const) {
      const t = owners(targetAssignment(n, pods(m)));
      expect(owners(targetAssignment(n, pods(m), t))).toEqual(t);
    }
  });
});

describe('targetAssignment: joins and leaves over many groups (the Leases modelled in memory)', () => {
  /** Shard → holder after the group settled, moving one round at a time like the coordinators do. */
  interface Group {
    holders: Map<number, string>;
    /** Shards whose holder changed from one member to another (through a release). */
    moves: { shard: number; from: string; to: string }[];
  }

  /**
   * One coordinator round each, every replica deciding from one snapshot `view` of the Leases
   * (`stale`: some decide from the previous round's snapshot), releases applied, then
   * acquisitions that find the Lease free (the apiserver's optimistic concurrency).
   */
  function settle(g: Group, shards: number, members: string[], rand: () => number, stale = false): number {
    const last = new Map(g.holders);
    let prev = new Map(g.holders);
    for (const [k, h] of g.holders) if (!members.includes(h)) g.holders.delete(k); // the departed's Leases expire
    for (let round = 1; round <= 50; round++) {
      const snapshot = new Map(g.holders);
      const views = (snap: Map<number, string>): ShardView[] =>
        Array.from({ length: shards }, (_, k) => ({ shard: k, holder: snap.get(k) ?? '', expired: false }));
      let changed = false;
      for (const m of [...members].sort(() => rand() - 0.5)) {
        const seen = stale && rand() < 0.3 ? prev : snapshot;
        const held = new Set([...g.holders].filter(([, h]) => h === m).map(([k]) => k));
        const d = decideShards(m, shards, members, views(seen), held);
        for (const k of d.release) {
          g.holders.delete(k);
          changed = true;
        }
        for (const k of d.acquire) {
          if (g.holders.has(k)) continue; // another replica's PUT won
          g.holders.set(k, m);
          changed = true;
          const from = last.get(k);
          if (from !== undefined && from !== m) g.moves.push({ shard: k, from, to: m });
          last.set(k, m);
        }
      }
      prev = snapshot;
      if (!changed && g.holders.size === shards) return round;
    }
    throw new Error(`group of ${members.length} did not settle ${shards} shards in 50 rounds`);
  }

  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => ((x = (x * 1103515245 + 12345) >>> 0), x / 2 ** 32);
  }
  const countsOf = (holders: Map<number, string>, members: string[]): number[] =>
    members.map((m) => [...holders.values()].filter((h) => h === m).length);

  const SHARD_COUNTS = [1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 23, 24, 31, 40, 64];

  it('leave: exactly the departed member’s shards move; join: ⌊N/M⌋ move, all to the joiner, only from members above their new share; balance ±1', () => {
    const rand = rng(21);
    let cases = 0;
    for (const shards of SHARD_COUNTS) {
      for (let size = 1; size <= 6; size++) {
        const members = pods(size, `g${shards}-${size}-`);
        const g: Group = { holders: new Map(), moves: [] };
        settle(g, shards, members, rand);
        for (let step = 0; step < 4; step++) {
          const before = new Map(g.holders);
          const beforeCounts = new Map(members.map((m, i) => [m, countsOf(before, members)[i]!]));
          g.moves = [];
          if (members.length > 1 && rand() < 0.5) {
            const gone = members.splice(Math.floor(rand() * members.length), 1)[0]!;
            const own = [...before.values()].filter((h) => h === gone).length;
            settle(g, shards, members, rand);
            // Only the departed member's shards moved, each once; survivors handed nothing to each other.
            expect(g.moves.length).toBe(own);
            expect(g.moves.filter((mv) => mv.from !== gone)).toEqual([]);
            expect([...before].filter(([k, h]) => h !== gone && g.holders.get(k) !== h)).toEqual([]);
            expect([...before].filter(([k, h]) => h === gone && g.holders.get(k) === h)).toEqual([]);
            expect(own).toBeLessThanOrEqual(fairShare(shards, members.length + 1));
          } else {
            const joiner = `${members[0]}-join${step}`;
            members.push(joiner);
            settle(g, shards, members, rand);
            expect(g.moves.length).toBe(Math.min(Math.floor(shards / members.length), shards));
            expect(g.moves.length).toBeLessThanOrEqual(fairShare(shards, members.length));
            for (const mv of g.moves) {
              expect(mv.to).toBe(joiner);
              expect(beforeCounts.get(mv.from)!).toBeGreaterThan(Math.floor(shards / members.length));
            }
          }
          const c = countsOf(g.holders, members);
          expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
          expect(c.reduce((a, b) => a + b, 0)).toBe(shards);
          cases++;
        }
      }
    }
    expect(cases).toBe(SHARD_COUNTS.length * 6 * 4);
  }, 60_000);

  it('with views a round stale (replicas look at different moments): never two holders, settles, no shard goes back', () => {
    const rand = rng(7);
    let extra = 0;
    let events = 0;
    for (let trial = 0; trial < 100; trial++) {
      const shards = 1 + Math.floor(rand() * 48);
      const members = pods(1 + Math.floor(rand() * 6), `s${trial}-`);
      const g: Group = { holders: new Map(), moves: [] };
      settle(g, shards, members, rand, true);
      for (let step = 0; step < 3; step++) {
        g.moves = [];
        const before = new Map(g.holders);
        let share: number;
        if (members.length > 1 && rand() < 0.5) {
          const gone = members.splice(Math.floor(rand() * members.length), 1)[0]!;
          share = 0;
          settle(g, shards, members, rand, true);
          extra += g.moves.filter((mv) => mv.from !== gone).length;
        } else {
          members.push(`${members[0]}-j${step}`);
          share = Math.floor(shards / members.length);
          settle(g, shards, members, rand, true);
          extra += g.moves.length - share;
        }
        events++;
        // A shard never returns to a member it moved away from within one change.
        for (const mv of g.moves) expect(g.moves.some((o) => o.shard === mv.shard && o.to === mv.from)).toBe(false);
        const c = countsOf(g.holders, members);
        expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
        expect(g.holders.size).toBe(shards);
      }
    }
    // Stale views cost at most a handful of extra moves over hundreds of changes.
    console.log(`[assign] stale views: ${extra} extra moves over ${events} joins/leaves`);
    expect(extra).toBeLessThanOrEqual(events / 10);
  }, 60_000);
});

describe('decideShards', () => {
  const me = 'b';
  const members = ['a', 'b', 'c'];
  const mine = targetAssignment(12, members).get(me)!;
  const free = (k: number): ShardView => ({ shard: k, holder: '', expired: false });
  const heldBy = (k: number, h: string, expired = false): ShardView => ({ shard: k, holder: h, expired });
  const all = (f: (k: number) => ShardView): ShardView[] => Array.from({ length: 12 }, (_, k) => f(k));
  /** Each shard held by its owner in the cold-start target of `group`. */
  const settled = (group: string[]): ShardView[] => {
    const t = targetAssignment(12, group);
    return all((k) => heldBy(k, [...t].find(([, l]) => l.includes(k))![0]));
  };

  it('acquires its target shards when free, missing or expired (an expired holder counts for nothing)', () => {
    const [x, y] = mine as [number, number];
    const views = all((k) => (k === x ? { shard: x, holder: undefined, expired: false } : k === y ? heldBy(y, 'a', true) : free(k)));
    const d = decideShards(me, 12, members, views, new Set());
    expect(d.acquire).toEqual(mine);
    expect(d.waiting).toEqual([]);
    expect(d.release).toEqual([]);
  });

  it('waits for the shards its share takes from a live holder above its own share', () => {
    // c holds all 12 (it was alone): c keeps its best 4, a and b wait for the rest.
    const views = all((k) => heldBy(k, 'c'));
    const d = decideShards(me, 12, members, views, new Set());
    expect(d.acquire).toEqual([]);
    expect(d.waiting).toHaveLength(4);
    expect(d.waiting).toEqual(targetAssignment(12, members, liveHolders(views, members)).get(me));
    const c = decideShards('c', 12, members, views, new Set(Array.from({ length: 12 }, (_, k) => k)));
    expect(c.renew).toHaveLength(4);
    expect(c.release).toHaveLength(8);
    expect(c.release.filter((k) => d.waiting.includes(k))).toEqual(d.waiting);
  });

  it('is stable: nothing to acquire or release when it holds its target and membership is unchanged', () => {
    const views = settled(members);
    for (let i = 0; i < 5; i++) {
      const d = decideShards(me, 12, members, views, new Set(mine));
      expect(d).toEqual({ acquire: [], release: [], renew: [...mine], waiting: [] });
    }
  });

  it("releases one shard to a newcomer's share (12 over 4: 3 each), keeps the rest", () => {
    const views = settled(members);
    const d = decideShards(me, 12, [...members, 'd'], views, new Set(mine));
    expect(d.renew).toHaveLength(3);
    expect(d.release).toHaveLength(1);
    expect([...d.renew, ...d.release].sort((p, q) => p - q)).toEqual(mine);
    // The newcomer waits for exactly the three shards a, b and c hand back.
    const newcomer = decideShards('d', 12, [...members, 'd'], views, new Set());
    expect(newcomer.waiting).toHaveLength(3);
    expect(newcomer.waiting).toContain(d.release[0]);
  });

  it('a member leaving: the survivors keep all theirs and take only its shards once their Leases expire', () => {
    const views = settled(members).map((v) => (v.holder === 'c' ? { ...v, expired: true } : v));
    const d = decideShards(me, 12, ['a', 'b'], views, new Set(mine));
    expect(d.release).toEqual([]);
    expect(d.renew).toEqual(mine);
    expect(d.acquire.every((k) => views[k]!.holder === 'c')).toBe(true);
    expect(d.acquire).toHaveLength(2);
  });

  it('counts itself a member even before its own member Lease is listed', () => {
    const d = decideShards('solo', 1, [], [], new Set());
    expect(d.acquire).toEqual([0]);
  });

  it('takes a Lease that names it but that this process did not acquire (a restarted pod with the same name)', () => {
    const views = all((k) => (mine.includes(k) ? heldBy(k, me) : free(k)));
    const d = decideShards(me, 12, members, views, new Set());
    expect(d.acquire).toEqual(mine);
  });
});
