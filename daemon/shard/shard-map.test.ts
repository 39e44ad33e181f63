import { describe, expect, it } from 'vitest';
import { targetAssignment } from './assign.js';
import { shardOf } from './hash.js';
import { parseShards } from './options.js';
import { ShardMap } from './shard-map.js';
import { ShardedWork } from './work.js';

const names = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}-sync-${i}`);
const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};
const pods = ['gitops-seal-7d9f8b6c5-ax0q', 'gitops-seal-7d9f8b6c5-bx1q', 'gitops-seal-7d9f8b6c5-cx2q'];
/** Syncs per member of a cold start (nothing held) with the real assignment. */
const perMember = (syncs: readonly string[], shardOfSync: (name: string) => number, n: number): number[] => {
  const owner = new Map<number, string>();
  for (const [m, ks] of targetAssignment(n, pods)) for (const k of ks) owner.set(k, m);
  return pods.map((p) => syncs.filter((s) => owner.get(shardOfSync(s)) === p).length);
};
const moved = (a: ShardMap, b: ShardMap, syncs: readonly string[]): number => syncs.filter((s) => a.shardOf(s) !== b.shardOf(s)).length;

describe('ShardMap', () => {
  it('fixed vectors: the same map on every replica and version (also computed by a Python reimplementation)', () => {
    // Changing these changes which replica owns a sync: during a rolling update two versions would disagree.
    const five = ['apps', 'infra', 'monitoring', 'web', 'db'];
    const m3 = new ShardMap(five, 3);
    expect(five.map((s) => m3.shardOf(s))).toEqual([0, 2, 0, 1, 2]);
    const m5 = new ShardMap(five, 5);
    expect(five.map((s) => m5.shardOf(s))).toEqual([3, 2, 0, 1, 4]);
  });

  it('depends only on the set of names: any order, duplicates ignored', () => {
    const syncs = names(60, 'perm');
    const a = new ShardMap(syncs, 60);
    for (let seed = 1; seed <= 20; seed++) {
      const b = new ShardMap([...shuffled(syncs, seed), syncs[seed]!], 60);
      expect(syncs.map((s) => b.shardOf(s))).toEqual(syncs.map((s) => a.shardOf(s)));
    }
  });

  it('every shard holds ⌊S/N⌋ or ⌈S/N⌉ syncs, exactly S mod N of them ⌈S/N⌉', () => {
    for (const [s, n] of [
      [60, 60],
      [59, 60],
      [61, 60],
      [12, 12],
      [9, 3],
      [10, 3],
      [100, 64],
      [200, 64],
      [5, 64],
      [1, 1],
      [0, 4],
    ] as const) {
      const syncs = names(s, `load-${s}-${n}`);
      const m = new ShardMap(syncs, n);
      const counted = new Array<number>(n).fill(0);
      for (const x of syncs) counted[m.shardOf(x)]! += 1;
      expect(counted).toEqual(m.load());
      const low = Math.floor(s / n);
      expect(counted.every((c) => c === low || c === low + 1)).toBe(true);
      expect(counted.filter((c) => c === low + 1)).toHaveLength(s % n);
    }
  });

  it('S = N: exactly one sync per shard; N = 1: all on shard 0', () => {
    for (const n of [3, 12, 60, 64]) expect(new ShardMap(names(n, `one-${n}`), n).load()).toEqual(new Array<number>(n).fill(1));
    const solo = new ShardMap(names(7, 'solo'), 1);
    expect(names(7, 'solo').map((s) => solo.shardOf(s))).toEqual(new Array<number>(7).fill(0));
  });

  it('a name not in the map falls back to the plain hash; the shard count is checked', () => {
    const m = new ShardMap(['a', 'b'], 64);
    expect(m.has('apps')).toBe(false);
    expect(m.shardOf('apps')).toBe(shardOf('sync', 'apps', 64));
    expect(() => new ShardMap(['a'], 0)).toThrow(RangeError);
  });

  it('cold start of 60 syncs (--shards auto = 60) on 3 replicas: 20/20/20 syncs, where plain hashing is uneven', () => {
    const n = parseShards('auto', 60);
    expect(n).toBe(60);
    let plainUneven = 0;
    for (let g = 0; g < 20; g++) {
      const syncs = names(60, `cold-${g}`);
      const m = new ShardMap(syncs, n);
      expect(perMember(syncs, (s) => m.shardOf(s), n)).toEqual([20, 20, 20]);
      const plain = perMember(syncs, (s) => shardOf('sync', s, n), n);
      if (plain.join() !== '20,20,20') plainUneven++;
    }
    // What issue 21 measured (17–23 per replica): the map is what evens it out.
    expect(plainUneven).toBeGreaterThan(10);
  });

  it("the daemon's work places its syncs by the map: 12 syncs on 12 shards, one each, in config order", () => {
    const syncs = names(12, 'work');
    const work = new ShardedWork(12, syncs);
    const m = new ShardMap([...syncs].reverse(), 12);
    for (const s of syncs) expect(work.shardOfSync(s)).toBe(m.shardOf(s));
    for (let k = 0; k < 12; k++) expect(work.syncsOf(k)).toHaveLength(1);
    const two = new ShardedWork(1, ['b', 'a']);
    expect(two.syncsOf(0)).toEqual(['b', 'a']);
  });

  it('--shards auto: one shard per sync up to 64, beyond that the fewest shards of equal load', () => {
    expect([0, 1, 12, 60, 64].map((s) => parseShards('auto', s))).toEqual([1, 1, 12, 60, 64]);
    expect([65, 100, 128, 130, 1000].map((s) => parseShards('auto', s))).toEqual([33, 50, 64, 44, 63]);
    for (let s = 1; s <= 5000; s++) {
      const n = parseShards('auto', s);
      expect(n).toBeLessThanOrEqual(64);
      expect(Math.ceil(s / n)).toBe(Math.ceil(s / 64)); // no shard holds more than at 64 shards
    }
    // 100 syncs: 50 shards of 2 keep 3 replicas within 2c − 1 = 3 of each other (64 shards of 1–2: up to 8).
    for (let g = 0; g < 20; g++) {
      const syncs = names(100, `big-${g}`);
      const m = new ShardMap(syncs, parseShards('auto', 100));
      const per = perMember(syncs, (x) => m.shardOf(x), m.shards);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(3);
    }
  });

  it('adding or removing one sync at the same N moves few others (100 groups of 60 on 60 shards)', () => {
    // Bounded-load rendezvous: the new sync takes a slot from at most one sync per step of a
    // displacement chain, and the chains are short because each sync's next choice is a random
    // shard, not the neighbour (linear probing moved 22 median, up to 59, on the same groups).
    // Measured on these groups: add 4 median, at most 7 (mean 3.8); remove 2 median, at most 4
    // (mean 1.8); over 200 other groups at most 9 and 5. Asserted with margin; the inputs are
    // fixed, so the figures are too.
    const adds: number[] = [];
    const removes: number[] = [];
    for (let g = 0; g < 100; g++) {
      const syncs = names(60, `grow-${g}`);
      const base = new ShardMap(syncs, 60);
      adds.push(moved(base, new ShardMap([...syncs, `grow-${g}-new`], 60), syncs));
      const fewer = syncs.slice(1);
      removes.push(moved(base, new ShardMap(fewer, 60), fewer));
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.max(...adds)).toBeLessThanOrEqual(12);
    expect(mean(adds)).toBeLessThanOrEqual(6);
    expect(Math.max(...removes)).toBeLessThanOrEqual(8);
    expect(mean(removes)).toBeLessThanOrEqual(4);
  });

  it('fingerprint: the same for the same set of names and N whatever the order, another for any change', () => {
    const syncs = names(20, 'fp');
    const fp = new ShardMap(syncs, 20).fingerprint;
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(new ShardMap(shuffled([...syncs, syncs[3]!], 7), 20).fingerprint).toBe(fp);
    expect(new ShardMap(syncs, 21).fingerprint).not.toBe(fp);
    expect(new ShardMap(syncs.slice(1), 20).fingerprint).not.toBe(fp);
    expect(new ShardMap([...syncs, 'fp-extra'], 20).fingerprint).not.toBe(fp);
    // Names are not concatenated ambiguously.
    expect(new ShardMap(['a,b'], 1).fingerprint).not.toBe(new ShardMap(['a', 'b'], 1).fingerprint);
  });
});
