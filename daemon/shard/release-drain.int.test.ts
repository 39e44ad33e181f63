// A shard given away is renewed by the look that decides it, so its drain gets a whole renew
// deadline. The timings make the gap certain: retry 1000 ms, renew deadline 1500 ms — the
// deciding look comes at least 1000 ms after the shard's last renewal, so without a renewal in
// that look the fence fires at most 500 ms into an 800 ms drain, and the next look (at least
// 1000 ms later) is too late: the old owner loses the shard (onLost; the daemon exits 1) instead
// of handing it over. Found by bench/shards.ts at the 3-replica join under load (issue 21).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { createLogger } from '../log.js';
import { eventually } from '../../test/e2e/harness.js';
import { ShardCoordinator } from './coordinator.js';
import { GroupLeaseApi } from './lease-api.js';

const stack = inject('stack');
const NS = 'default';

describe('a rebalanced shard is renewed before its drain', () => {
  let kube: KubeClient;
  const all: ShardCoordinator[] = [];
  beforeAll(async () => {
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  });
  afterAll(async () => {
    await Promise.all(all.map((c) => c.stop({ release: true }).catch(() => undefined)));
    kube?.close();
  });

  function replica(group: string, identity: string): { c: ShardCoordinator; events: string[] } {
    const events: string[] = [];
    const c = new ShardCoordinator(
      new GroupLeaseApi(kube, NS, group),
      { group, namespace: NS, identity, shards: 4, leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 1000 },
      createLogger({ level: 'silent' }),
      {
        onAcquired: (k) => events.push(`+${k}`),
        // The work in flight of a shard takes 800 ms to end: within the renew deadline.
        onReleasing: async (k) => {
          events.push(`~${k}`);
          await new Promise((r) => setTimeout(r, 800));
        },
        onLost: (k, why) => events.push(`!${k} ${why}`),
      },
    );
    all.push(c);
    c.start();
    return { c, events };
  }

  it('the old owner hands its shards over after their drain and loses none', async () => {
    const group = `shd-${Date.now().toString(36)}`;
    const one = replica(group, 'one');
    await eventually('one holds 4', async () => one.c.owned().length === 4, 15_000, 50);
    const two = replica(group, 'two');
    const lost = (): string[] => [...one.events, ...two.events].filter((e) => e.startsWith('!'));
    await eventually(
      '2/2 or a lost shard',
      async () => lost().length > 0 || (one.c.owned().length === 2 && two.c.owned().length === 2),
      20_000,
      50,
    );
    expect(lost()).toEqual([]);
    expect(one.events.filter((e) => e.startsWith('~'))).toHaveLength(2);
  }, 60_000);
});
