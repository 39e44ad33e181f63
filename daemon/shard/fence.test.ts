import { describe, expect, it } from 'vitest';
import { decideShards, type ShardView } from './assign.js';
import { decideFenced, type FenceMember } from './fence.js';
import { ShardMap } from './shard-map.js';

const at = (s: number): string => `2026-12-07T00:00:${String(s).padStart(2, '0')}.000000Z`;
const member = (identity: string, fingerprint: string | undefined, joined: number | undefined): FenceMember => ({
  identity,
  fingerprint,
  joined: joined === undefined ? undefined : at(joined),
});
const views = (n: number, holder: (k: number) => string): ShardView[] =>
  Array.from({ length: n }, (_, k) => ({ shard: k, holder: holder(k), expired: false }));
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

describe('decideFenced', () => {
  it('same map everywhere: exactly decideShards', () => {
    const self = member('b', 'F1', 2);
    const others = [member('a', 'F1', 1), member('c', 'F1', 3)];
    const v = views(12, (k) => (k < 6 ? 'a' : ''));
    const d = decideFenced(self, 12, others, v, new Set());
    expect(d).toEqual({ ...decideShards('b', 12, ['b', 'a', 'c'], v, new Set()), waitingFor: [] });
  });

  it('an older member with another map holding shards: take nothing, hand back everything', () => {
    const self = member('new', 'F2', 5);
    const v = views(6, (k) => (k < 4 ? 'old' : k === 4 ? 'new' : ''));
    const d = decideFenced(self, 6, [member('old', 'F1', 1)], v, new Set([4]));
    expect(d).toEqual({ acquire: [], release: [4], renew: [], waiting: [], waitingFor: ['old'] });
  });

  it('a member Lease without the annotation (an older version) counts as another map', () => {
    const d = decideFenced(
      member('new', 'F2', 5),
      4,
      [member('old', undefined, 1)],
      views(4, () => 'old'),
      new Set(),
    );
    expect(d.waitingFor).toEqual(['old']);
    expect(d.acquire).toEqual([]);
  });

  it('younger members with another map give way: we go on, and they get no shards in our target', () => {
    const self = member('old', 'F1', 1);
    const v = views(6, (k) => (k < 2 ? 'new' : ''));
    const d = decideFenced(self, 6, [member('new', 'F2', 5)], v, new Set());
    expect(d.waitingFor).toEqual([]);
    // The whole group is ours alone: the free shards now, the two it holds once it released them.
    expect(d.acquire).toEqual([2, 3, 4, 5]);
    expect(d.waiting).toEqual([0, 1]);
  });

  it('an older foreign member holding nothing (or only expired Leases) does not stop us', () => {
    const self = member('new', 'F2', 5);
    const v = views(3, () => 'old').map((x) => ({ ...x, expired: true }));
    const d = decideFenced(self, 3, [member('old', 'F1', 1)], v, new Set());
    expect(d.waitingFor).toEqual([]);
    expect(d.acquire).toEqual([0, 1, 2]);
  });

  it('sees foreign holders of shards beyond its own N (auto: the other map has more shards)', () => {
    const v = [...views(3, () => ''), { shard: 3, holder: 'old', expired: false }];
    const d = decideFenced(member('new', 'F2', 5), 3, [member('old', 'F1', 1)], v, new Set());
    expect(d.waitingFor).toEqual(['old']);
  });

  it('before its own member Lease was written it counts as the youngest; a foreign member without a join time as the oldest', () => {
    expect(
      decideFenced(
        member('new', 'F2', undefined),
        2,
        [member('old', 'F1', 59)],
        views(2, () => 'old'),
        new Set(),
      ).waitingFor,
    ).toEqual(['old']);
    expect(
      decideFenced(
        member('new', 'F2', 1),
        2,
        [member('old', 'F1', undefined)],
        views(2, () => 'old'),
        new Set(),
      ).waitingFor,
    ).toEqual(['old']);
  });

  it('of two members with different maps that both hold shards, exactly one gives way (ties by name)', () => {
    for (const [ja, jb] of [
      [1, 2],
      [2, 1],
      [3, 3],
    ] as const) {
      const a = member('a', 'F1', ja);
      const b = member('b', 'F2', jb);
      const v = views(4, (k) => (k % 2 ? 'a' : 'b'));
      const da = decideFenced(a, 4, [b], v, new Set([1, 3]));
      const db = decideFenced(b, 4, [a], v, new Set([0, 2]));
      expect([da.waitingFor.length, db.waitingFor.length].sort()).toEqual([0, 1]);
      if (ja === jb) expect(db.waitingFor).toEqual(['a']);
    }
  });
});

/**
 * A rolling update with the Leases in memory, in rounds: every member decides from the same
 * snapshot, releases at once (drain modelled as instant), acquires only what is still as it was
 * in the snapshot (the apiserver's optimistic concurrency). Old config: 12 syncs, `auto` → 12
 * shards; new: one more sync → 13 shards, which re-maps most syncs.
 */
describe('rolling update (Leases in memory)', () => {
  const oldSyncs = range(12).map((i) => `app-${i}`);
  const newSyncs = [...oldSyncs, 'app-new'];
  const maps = { F1: new ShardMap(oldSyncs, 12), F2: new ShardMap(newSyncs, 13) };
  type Fp = keyof typeof maps;
  interface Replica {
    m: FenceMember;
    fp: Fp;
    held: Set<number>;
  }

  it('never lets two replicas reconcile one sync; the new replicas take over after the last old one left', () => {
    const leases = new Map<number, string>(); // shard → holder ("" = released)
    const replicas: Replica[] = [];
    let clock = 0;
    const join = (id: string, fp: Fp): void => {
      replicas.push({ m: member(id, fp, ++clock), fp, held: new Set() });
    };
    const leave = (id: string): void => {
      const i = replicas.findIndex((r) => r.m.identity === id);
      for (const k of replicas[i]!.held) leases.set(k, ''); // a graceful stop releases
      replicas.splice(i, 1);
    };
    const check = (): void => {
      for (const s of newSyncs) {
        const reconcilers = replicas.filter((r) => (r.fp === 'F1' ? oldSyncs : newSyncs).includes(s) && r.held.has(maps[r.fp].shardOf(s)));
        expect(reconcilers.length, s).toBeLessThanOrEqual(1);
      }
    };
    const round = (): boolean => {
      const snapshot = new Map(leases);
      const v: ShardView[] = [...snapshot].map(([shard, holder]) => ({ shard, holder, expired: false }));
      const ds = replicas.map((r) => ({
        r,
        d: decideFenced(
          r.m,
          maps[r.fp].shards,
          replicas.map((o) => o.m),
          v,
          r.held,
        ),
      }));
      let changed = false;
      for (const { r, d } of ds)
        for (const k of d.release) {
          r.held.delete(k);
          leases.set(k, '');
          changed = true;
        }
      for (const { r, d } of ds)
        for (const k of d.acquire)
          if (leases.get(k) === snapshot.get(k)) {
            leases.set(k, r.m.identity);
            r.held.add(k);
            changed = true;
          }
      check();
      return changed;
    };
    const settle = (): void => {
      for (let i = 0; i < 20 && round(); i++);
      expect(round()).toBe(false);
    };
    const heldBy = (fp: Fp): number => replicas.filter((r) => r.fp === fp).reduce((n, r) => n + r.held.size, 0);

    for (const id of ['o1', 'o2', 'o3']) join(id, 'F1');
    settle();
    expect(replicas.map((r) => r.held.size)).toEqual([4, 4, 4]);
    // maxSurge 1, maxUnavailable 0: a new Pod, then an old one goes; three times.
    for (const i of [1, 2, 3]) {
      join(`n${i}`, 'F2');
      settle();
      expect(heldBy('F2')).toBe(0);
      expect(heldBy('F1')).toBe(12);
      leave(`o${i}`);
      settle();
    }
    expect(heldBy('F1')).toBe(0);
    expect(replicas.map((r) => r.held.size).sort()).toEqual([4, 4, 5]);
  });
});
