// The map fence (fence.ts) against the real kube-apiserver of the stack: replicas whose
// configurations differ (another ShardMap fingerprint, here also another shard count as with
// `auto`) never hold shards side by side for long. An old replica holding every shard keeps them
// while a new one waits, and the new one takes over once the old one stopped with a release; two
// started together end with one map's replicas holding all shards.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { eventually } from '../../test/e2e/harness.js';
import { TestCoordinators } from '../../test/support/shard-coordinators.js';
import type { ShardCoordinator } from './coordinator.js';
import { GroupLeaseApi } from './lease-api.js';
import { ANNOTATION_MAP, memberLeaseName } from './names.js';

const stack = inject('stack');
const NS = 'default';

/** `check` (expect …) passes within `ms`. */
const settle = (what: string, check: () => void, ms: number): Promise<true> =>
  eventually(what, () => Promise.resolve((check(), true as const)), ms, 50);
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

describe('map fence on real Leases', () => {
  let kube: KubeClient;
  let coordinators: TestCoordinators;

  beforeAll(async () => {
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    coordinators = new TestCoordinators(kube, NS);
  });
  afterAll(async () => {
    await coordinators?.stopAll();
    kube?.close();
  });

  const replica = (group: string, identity: string, shards: number, mapFingerprint: string): ShardCoordinator =>
    coordinators.start(group, identity, shards, { mapFingerprint });

  it('an old replica keeps all shards while a new one with another map waits; the new one takes over after its release', async () => {
    const group = `mf-${Date.now().toString(36)}`;
    const old = replica(group, 'old', 6, 'f1f1f1f1f1f1f1f1');
    await settle('old holds all', () => expect(old.owned()).toEqual(range(6)), 15_000);
    // The new configuration has one sync more: auto → 7 shards, another map.
    const fresh = replica(group, 'new', 7, 'f2f2f2f2f2f2f2f2');
    // Checked every 20 ms: the new replica may not write any shard while the old one may write one.
    const violations: string[] = [];
    const watch = setInterval(() => {
      const o = range(6).filter((k) => old.mayWrite(k));
      const n = range(7).filter((k) => fresh.mayWrite(k));
      if (o.length > 0 && n.length > 0) violations.push(`old ${o.join(',')} / new ${n.join(',')}`);
    }, 20);
    try {
      await settle('new waits for old', () => expect(fresh.waitingForMap()).toEqual(['old']), 15_000);
      // It stays so: several looks later the new one still holds nothing, the old one everything.
      await new Promise((r) => setTimeout(r, 1500));
      expect(fresh.owned()).toEqual([]);
      expect(fresh.waitingForMap()).toEqual(['old']);
      expect(old.owned()).toEqual(range(6));
      expect(old.waitingForMap()).toEqual([]);
      // Both see each other as members; the fingerprint is on the member Lease.
      expect(fresh.members().map((m) => m.identity)).toEqual(['new', 'old']);
      const leases = await new GroupLeaseApi(kube, NS, group).list(5000);
      expect(leases.find((l) => l.name === memberLeaseName(group, 'new'))?.annotations[ANNOTATION_MAP]).toBe('f2f2f2f2f2f2f2f2');

      // The old one goes (a graceful stop releases): the new one takes all of its 7 on its next looks.
      await old.stop({ release: true });
      await settle('new holds all', () => expect(fresh.owned()).toEqual(range(7)), 15_000);
      expect(fresh.waitingForMap()).toEqual([]);
      expect(violations).toEqual([]);
    } finally {
      clearInterval(watch);
      await Promise.all([old.stop({ release: true }), fresh.stop({ release: true })]);
    }
  }, 90_000);

  it('a cold race of two maps ends with one map holding every shard, and it stays so', async () => {
    const group = `mfc-${Date.now().toString(36)}`;
    const rs = [
      { c: replica(group, 'a1', 4, 'aaaaaaaaaaaaaaaa'), fp: 'A', n: 4 },
      { c: replica(group, 'b1', 4, 'bbbbbbbbbbbbbbbb'), fp: 'B', n: 4 },
      { c: replica(group, 'a2', 4, 'aaaaaaaaaaaaaaaa'), fp: 'A', n: 4 },
      { c: replica(group, 'b2', 4, 'bbbbbbbbbbbbbbbb'), fp: 'B', n: 4 },
    ];
    const holding = (): string[] => [...new Set(rs.filter((r) => r.c.owned().length > 0).map((r) => r.fp))];
    try {
      const settled = (): void => {
        expect(holding()).toHaveLength(1);
        expect(rs.flatMap((r) => r.c.owned()).sort()).toEqual(range(4));
      };
      await settle('one map holds all shards', settled, 20_000);
      const winner = holding()[0]!;
      // The losers wait (for the older holders of the other map) or, if the winners are younger, hold nothing either way.
      await new Promise((r) => setTimeout(r, 1500));
      settled();
      expect(holding()).toEqual([winner]);
      for (const r of rs.filter((x) => x.fp !== winner)) expect(r.c.owned()).toEqual([]);
    } finally {
      await Promise.all(rs.map((r) => r.c.stop({ release: true })));
    }
  }, 90_000);
});
