import { describe, expect, it } from 'vitest';
import { decideShards, fairShare, targetAssignment, type ShardView } from './assign.js';
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
    const four = owners(targetAssignment(60, pods(4)));
    const n = moved(three, four);
    // Every moved shard goes to the newcomer, except a few reshuffled by the bounded load.
    const toNew = [...four].filter(([k, m]) => m === pods(4)[3] && three.get(k) !== m).length;
    expect(toNew).toBe(15);
    expect(n).toBeLessThanOrEqual(20);
  });

  it('a member leaving moves its own shards (1/3 of 60) and few others; joining again restores the assignment', () => {
    const [a, b, c] = pods(3) as [string, string, string];
    const before = owners(targetAssignment(60, [a, b, c]));
    const after = owners(targetAssignment(60, [a, b]));
    const own = [...before].filter(([, m]) => m === c).length;
    expect(own).toBe(20);
    expect(moved(before, after)).toBeGreaterThanOrEqual(20);
    expect(moved(before, after)).toBeLessThanOrEqual(26);
    expect(counts(targetAssignment(60, [a, b]))).toEqual([30, 30]);
    expect(owners(targetAssignment(60, [c, b, a]))).toEqual(before);
  });

  it('moves on leave and join stay near 1/members over many random groups', () => {
    let total = 0;
    for (let g = 0; g < 20; g++) {
      const m = pods(3, `r${g}-`);
      const full = owners(targetAssignment(60, m));
      total += moved(full, owners(targetAssignment(60, m.slice(0, 2))));
    }
    // 20 shards of the member that left, plus a bounded number reshuffled.
    expect(total / 20).toBeLessThan(24);
  });
});

describe('decideShards', () => {
  const me = 'b';
  const members = ['a', 'b', 'c'];
  const mine = targetAssignment(12, members).get(me)!;
  const free = (k: number): ShardView => ({ shard: k, holder: '', expired: false });
  const heldBy = (k: number, h: string, expired = false): ShardView => ({ shard: k, holder: h, expired });
  const all = (f: (k: number) => ShardView): ShardView[] => Array.from({ length: 12 }, (_, k) => f(k));

  it('acquires its target shards when free, missing or expired; waits while another live holder has them', () => {
    const [x, y, z, w] = mine as [number, number, number, number];
    const views = all(free).map((v) =>
      v.shard === x
        ? { shard: x, holder: undefined, expired: false }
        : v.shard === y
          ? heldBy(y, 'a', true)
          : v.shard === z
            ? heldBy(z, 'c')
            : v,
    );
    const d = decideShards(me, 12, members, views, new Set());
    expect(d.acquire.sort()).toEqual([x, y, w].sort());
    expect(d.waiting).toEqual([z]);
    expect(d.release).toEqual([]);
  });

  it('is stable: nothing to acquire or release when it holds its target and membership is unchanged', () => {
    const views = all((k) => heldBy(k, targetAssignment(12, members).get('a')!.includes(k) ? 'a' : mine.includes(k) ? me : 'c'));
    for (let i = 0; i < 5; i++) {
      const d = decideShards(me, 12, members, views, new Set(mine));
      expect(d).toEqual({ acquire: [], release: [], renew: [...mine], waiting: [] });
    }
  });

  it("releases the shards a newcomer's share takes, keeps the rest", () => {
    const fourTarget = targetAssignment(12, [...members, 'd']).get(me)!;
    const d = decideShards(me, 12, [...members, 'd'], all(free), new Set(mine));
    expect(d.renew).toEqual(mine.filter((k) => fourTarget.includes(k)));
    expect(d.release).toEqual(mine.filter((k) => !fourTarget.includes(k)));
    expect(d.renew.length + d.acquire.length).toBeLessThanOrEqual(fairShare(12, 4));
  });

  it('counts itself a member even before its own member Lease is listed', () => {
    const d = decideShards('solo', 1, [], [], new Set());
    expect(d.acquire).toEqual([0]);
  });

  it('takes a Lease that names it but that this process did not acquire (a restarted pod with the same name)', () => {
    const d = decideShards(
      me,
      12,
      members,
      all((k) => heldBy(k, me)),
      new Set(),
    );
    expect(d.acquire).toEqual(mine);
  });
});
