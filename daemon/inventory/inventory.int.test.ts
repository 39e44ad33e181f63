import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../apply/index.js';
import { KubeClient } from '../kube/client.js';
import { startTestCluster, type TestCluster } from '../../test/support/kube-cluster.js';
import type { KubeObject } from '../kube/types.js';
import { checkPrune, InventoryStore, inventoryOf, objectOf, PruneGuardError } from './inventory.js';

let kube: TestCluster;
beforeAll(async () => {
  kube = await startTestCluster();
});
afterAll(async () => {
  await kube?.stop();
});

const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'inv' }, data: { n: name } });

describe('inventory in the cluster', () => {
  it('survives a new client/manager and drives a guarded prune', async () => {
    const first = new ResourceManager(kube.client, { syncName: 'apps' });
    const rev1 = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inv' } }, cm('a'), cm('b'), cm('c')];
    await first.apply(rev1);
    const store1 = new InventoryStore(kube.client);
    expect(await store1.load('apps')).toBeUndefined();
    await store1.save(inventoryOf('apps', 'commit-1', rev1)); // creates gitops-seal-system on first save

    // "Restart": a fresh client, manager and store only know what the cluster tells them.
    const client2 = await KubeClient.load({ kubeconfig: kube.info.kubeconfig });
    try {
      const second = new ResourceManager(client2, { syncName: 'apps' });
      const store2 = new InventoryStore(client2);
      const old = await store2.load('apps');
      expect(old?.revision).toBe('commit-1');
      expect(old?.entries).toEqual(['_ConfigMap_inv_a_v1', '_ConfigMap_inv_b_v1', '_ConfigMap_inv_c_v1', '_Namespace__inv_v1']);

      const rev2 = [rev1[0] as KubeObject, cm('a')];
      const next = inventoryOf('apps', 'commit-2', rev2);
      expect(() => checkPrune(old, next, { maxPruneRatio: 0.25 })).toThrow(PruneGuardError);
      const stale = checkPrune(old, next);
      expect(stale.map((e) => e.name)).toEqual(['b', 'c']);
      await second.apply(rev2);
      const cs = await second.delete(stale.map(objectOf));
      expect(cs.entries.map((e) => e.action)).toEqual(['deleted', 'deleted']);
      await store2.save(next);
      expect((await store1.load('apps'))?.entries).toEqual(next.entries);
      expect(await client2.getOptional('/api/v1/namespaces/inv/configmaps/b')).toBeUndefined();
      expect(await client2.getOptional('/api/v1/namespaces/inv/configmaps/a')).toBeDefined();
    } finally {
      client2.close();
    }
  });
});

describe('a large inventory changes by patch (issue 18)', () => {
  const N = 1200; // above JOURNAL_FROM: a set change is a journal, not a rewrite
  const entries = (from: number, to: number, extra: string[] = []): string[] =>
    [...Array.from({ length: to - from }, (_, i) => `_ConfigMap_big_cm-${String(from + i).padStart(5, '0')}_v1`), ...extra].sort();
  const inv = (revision: string, es: string[], pending?: string[]) => ({
    sync: 'big',
    revision,
    entries: es,
    ...(pending ? { pending } : {}),
  });

  /** The requests `client` sends while `fn` runs: method, content type and parsed body. */
  async function requestsOf(
    client: KubeClient,
    fn: () => Promise<void>,
  ): Promise<{ method: string; contentType?: string; body?: unknown }[]> {
    const seen: { method: string; contentType?: string; body?: unknown }[] = [];
    const orig = client.requestRaw.bind(client);
    client.requestRaw = async (path, opts = {}) => {
      if (path.includes('gitops-seal-inventory-big')) {
        const body = typeof opts.body === 'string' ? JSON.parse(opts.body) : opts.body;
        seen.push({
          method: opts.method ?? 'GET',
          ...(opts.contentType ? { contentType: opts.contentType } : {}),
          ...(body ? { body } : {}),
        });
      }
      return orig(path, opts);
    };
    try {
      await fn();
    } finally {
      client.requestRaw = orig;
    }
    return seen;
  }

  it('sends just the changed entries, keeps every intermediate state whole, and folds the journal', async () => {
    const store = new InventoryStore(kube.client);
    await store.save(inv('r1', entries(0, N)));
    const old = await store.load('big');
    expect(old?.entries).toHaveLength(N);

    // The engine's order for a revision that adds cm-01200 and drops cm-00000:
    // write-ahead (pending) → old ∪ new → prune → new.
    const next = entries(1, N + 1);
    const writeAhead = await requestsOf(kube.client, () => store.save(inv('r1', old?.entries ?? [], ['_ConfigMap_big_cm-01200_v1'])));
    expect(writeAhead).toEqual([
      {
        method: 'PATCH',
        contentType: 'application/merge-patch+json',
        body: { metadata: { resourceVersion: expect.any(String) }, data: { pending: '_ConfigMap_big_cm-01200_v1' } },
      },
    ]);
    const union = await requestsOf(kube.client, () => store.save(inv('r2', entries(0, N + 1))));
    expect(union).toHaveLength(1);
    expect((union[0]?.body as { data: unknown }).data).toEqual({ revision: 'r2', added: '_ConfigMap_big_cm-01200_v1', pending: null });
    // The prune fails here (daemon killed, apiserver down): a fresh reader sees old ∪ new, nothing pending.
    const afterUnion = await new InventoryStore(kube.client).load('big');
    expect(afterUnion?.entries).toEqual(entries(0, N + 1));
    expect(afterUnion?.pending).toBeUndefined();
    const final = await requestsOf(kube.client, () => store.save(inv('r2', next)));
    expect((final[0]?.body as { data: unknown }).data).toEqual({ removed: '_ConfigMap_big_cm-00000_v1' });
    expect(JSON.stringify(final[0]?.body).length).toBeLessThan(300);
    expect((await new InventoryStore(kube.client).load('big'))?.entries).toEqual(next);

    // Another writer in between: the conditional patch is refused (409), re-read, and applied anew.
    const other = new InventoryStore(kube.client);
    await other.load('big');
    await other.save(inv('r3', entries(1, N + 2)));
    await store.save(inv('r4', entries(1, N + 3)));
    expect((await new InventoryStore(kube.client).load('big'))?.entries).toEqual(entries(1, N + 3));

    // A journal past an eighth of the entries is folded: `entries` is the whole set again.
    const folded = await requestsOf(kube.client, () => store.save(inv('r5', entries(400, N))));
    const data = (folded.at(-1)?.body as { data: Record<string, string | null> }).data;
    expect(data.added).toBeNull();
    expect(data.removed).toBeNull();
    expect(data.entries?.split('\n')).toEqual(entries(400, N));
    expect((await new InventoryStore(kube.client).load('big'))?.entries).toEqual(entries(400, N));
  });
});

describe('the stored inventory is read whole only when its resourceVersion moved (issue 18)', () => {
  const entries = (n: number): string[] => Array.from({ length: n }, (_, i) => `_ConfigMap_cache_cm-${String(i).padStart(5, '0')}_v1`);

  /** GETs of the inventory `client` sends while `fn` runs: whole, or metadata only. */
  async function readsOf<T>(client: KubeClient, fn: () => Promise<T>): Promise<{ reads: ('whole' | 'metadata')[]; value: T }> {
    const reads: ('whole' | 'metadata')[] = [];
    const orig = client.requestRaw.bind(client);
    client.requestRaw = async (path, opts = {}) => {
      if (path.endsWith('/gitops-seal-inventory-cache') && (opts.method ?? 'GET') === 'GET') {
        reads.push(opts.accept?.includes('as=PartialObjectMetadata') ? 'metadata' : 'whole');
      }
      return orig(path, opts);
    };
    try {
      return { reads, value: await fn() };
    } finally {
      client.requestRaw = orig;
    }
  }

  it('answers from what it holds while nobody else wrote, and reads again after another writer or a delete', async () => {
    const store = new InventoryStore(kube.client);
    const e1 = entries(1500);
    await store.save({ sync: 'cache', revision: 'r1', entries: e1 });

    // Our own write: the answer is what we hold, only the resourceVersion is asked for.
    const own = await readsOf(kube.client, () => store.load('cache'));
    expect(own.reads).toEqual(['metadata']);
    expect(own.value?.revision).toBe('r1');
    expect(own.value?.entries).toEqual(e1);
    // A caller changing what it got does not change what the store holds.
    own.value?.entries.splice(0, 1000);

    // Another writer (a second replica, a hand edit) moved it: read whole, its change is seen.
    const e2 = [...e1, '_ConfigMap_cache_extra_v1'].sort();
    await new InventoryStore(kube.client).save({ sync: 'cache', revision: 'r2', entries: e2, pending: ['_ConfigMap_cache_p_v1'] });
    const moved = await readsOf(kube.client, () => store.load('cache'));
    expect(moved.reads).toEqual(['metadata', 'whole']);
    expect(moved.value).toEqual({ sync: 'cache', revision: 'r2', entries: e2, pending: ['_ConfigMap_cache_p_v1'] });

    const again = await readsOf(kube.client, () => store.load('cache'));
    expect(again.reads).toEqual(['metadata']);
    expect(again.value).toEqual(moved.value);

    // A save after the other writer's change patches on top of it (its resourceVersion is known).
    await store.save({ sync: 'cache', revision: 'r3', entries: e2 });
    expect(await new InventoryStore(kube.client).load('cache')).toEqual({ sync: 'cache', revision: 'r3', entries: e2 });
    expect((await readsOf(kube.client, () => store.load('cache'))).value).toEqual({ sync: 'cache', revision: 'r3', entries: e2 });

    // Deleted by hand: no inventory.
    await kube.client.request(`/api/v1/namespaces/gitops-seal-system/configmaps/gitops-seal-inventory-cache`, { method: 'DELETE' });
    expect(await store.load('cache')).toBeUndefined();
  });
});
