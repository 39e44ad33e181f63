// ShardCoordinator against the real kube-apiserver of the stack: three replicas split 12 shards
// 4/4/4 through Leases, a new member takes only its share after the others released it, a
// replica that stops renewing is replaced after its lease, and every shard has at most one
// replica that may write at any moment. Short timings (2 s lease) keep it fast.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { eventually } from '../../test/e2e/harness.js';
import { TestCoordinators } from '../../test/support/shard-coordinators.js';
import type { ShardCoordinator } from './coordinator.js';
import { GroupLeaseApi } from './lease-api.js';
import { shardLeaseName } from './names.js';

const stack = inject('stack');
const NS = 'default';

/** `check` (expect …) passes within `ms`. */
const settle = (what: string, check: () => void, ms: number): Promise<true> =>
  eventually(what, () => Promise.resolve((check(), true as const)), ms, 50);

interface Replica {
  c: ShardCoordinator;
  events: string[];
}

describe('ShardCoordinator on real Leases', () => {
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

  function replica(group: string, identity: string, shards: number, drain?: () => Promise<void>): Replica {
    const events: string[] = [];
    const c = coordinators.start(
      group,
      identity,
      shards,
      { advertiseUrl: `http://${identity}.example:8080` },
      {
        onAcquired: (k) => events.push(`+${k}`),
        onReleasing: async (k) => {
          events.push(`~${k}`);
          await drain?.();
        },
        onLost: (k, why) => events.push(`!${k} ${why}`),
      },
    );
    return { c, events };
  }

  /** No shard may be writable by two replicas at once. */
  function assertFenced(rs: Replica[], shards: number): void {
    for (let k = 0; k < shards; k++) expect(rs.filter((r) => r.c.mayWrite(k)).length).toBeLessThanOrEqual(1);
  }

  it('splits 12 shards 4/4/4; a joiner takes only its share; a dead member is replaced after its lease', async () => {
    const group = `sh-${Date.now().toString(36)}`;
    const rs = ['alpha', 'beta', 'gamma'].map((id) => replica(group, id, 12));
    const watch = setInterval(() => assertFenced(rs, 12), 20);
    try {
      await settle('shards settle', () => expect(rs.map((r) => r.c.owned().length)).toEqual([4, 4, 4]), 15_000);
      const union = rs.flatMap((r) => r.c.owned()).sort((a, b) => a - b);
      expect(union).toEqual([...Array(12).keys()]);
      // Every replica sees the same members and owners.
      await settle('shards settle', () => expect(rs[0]!.c.members().map((m) => m.owned.length)).toEqual([4, 4, 4]), 5000);
      expect(rs[1]!.c.members()[0]).toMatchObject({ identity: 'alpha', address: 'http://alpha.example:8080' });

      // Stable: nothing moves while nothing changes. (Moves before this point are the start: the
      // first replica alone takes all 12, then hands the others their share.)
      const before = rs.map((r) => r.c.owned());
      for (const r of rs) r.events.length = 0;
      await new Promise((r) => setTimeout(r, 1500));
      expect(rs.map((r) => r.c.owned())).toEqual(before);
      expect(rs.flatMap((r) => r.events).filter((e) => !e.startsWith('+'))).toEqual([]);

      // A fourth member: 3 shards move to it (⌈12/4⌉ = 3), each after its old owner drained it.
      const delta = replica(group, 'delta', 12);
      rs.push(delta);
      await settle('shards settle', () => expect(rs.map((r) => r.c.owned().length).sort()).toEqual([3, 3, 3, 3]), 15_000);
      const moved = before.flat().filter((k) => !rs.slice(0, 3).some((r, i) => before[i]!.includes(k) && r.c.owned().includes(k)));
      // delta's 3, and at most one more reshuffled by the bounded load (rendezvous order).
      expect(delta.c.owned().length).toBe(3);
      expect(moved.length).toBeLessThanOrEqual(4);
      for (const k of delta.c.owned()) expect(moved).toContain(k);
      // Each moved shard was handed over by a release (after its drain), not taken.
      expect(rs.slice(0, 3).flatMap((r) => r.events.filter((e) => e.startsWith('~'))).length).toBe(moved.length);

      // delta stops renewing (as if SIGKILLed): its shards come back after its lease, and nobody lost one.
      const t0 = performance.now();
      await delta.c.stop({ release: false });
      rs.pop();
      await settle('shards settle', () => expect(rs.map((r) => r.c.owned().length)).toEqual([4, 4, 4]), 15_000);
      const failover = performance.now() - t0;
      expect(failover).toBeGreaterThan(1500); // not before its lease ran out
      expect(rs.flatMap((r) => r.events).filter((e) => e.startsWith('!'))).toEqual([]);
      // The Lease holders in the apiserver agree.
      const api = new GroupLeaseApi(kube, NS, group);
      const leases = await api.list(5000);
      for (const r of rs)
        for (const k of r.c.owned())
          expect(leases.find((l) => l.name === shardLeaseName(group, k))?.record.holderIdentity).toBe(
            r === rs[0] ? 'alpha' : r === rs[1] ? 'beta' : 'gamma',
          );
    } finally {
      clearInterval(watch);
      await Promise.all(rs.map((r) => r.c.stop({ release: true })));
    }
  }, 90_000);

  it('--shards 1: one owner among two; a release hands the shard over on the next look', async () => {
    const group = `sh1-${Date.now().toString(36)}`;
    const a = replica(group, 'one', 1);
    await settle('shards settle', () => expect(a.c.owned()).toEqual([0]), 10_000);
    const b = replica(group, 'two', 1);
    await new Promise((r) => setTimeout(r, 1000));
    // One shard for two members: the holder keeps it (rendezvous may point at either; if it
    // points at "two", "one" hands it over only after its drain).
    const owners = [a, b].filter((r) => r.c.owned().length === 1);
    expect(owners.length).toBeLessThanOrEqual(1);
    await settle('shards settle', () => expect([a, b].filter((r) => r.c.owned().length === 1).length).toBe(1), 10_000);
    const holder = a.c.owned().length ? a : b;
    const other = holder === a ? b : a;
    await holder.c.stop({ release: true });
    const t0 = performance.now();
    await settle('shards settle', () => expect(other.c.owned()).toEqual([0]), 10_000);
    // Released, not expired: taken on the next look.
    expect(performance.now() - t0).toBeLessThan(1500);
    await other.c.stop({ release: true });
  }, 60_000);
});
