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
