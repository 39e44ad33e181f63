// The view's read of the published cluster key (`build`/`diff` of a cluster-key sync) on the real
// apiserver, through the daemon's own ClusterKeyConfigMap: a missing ConfigMap is "no key yet"
// (no recipients), one that exists without a valid recipient is an error naming it — never "no
// key", which would let the view skip the binding check the daemon makes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterKeyConfigMap, newClusterIdentity } from '../../daemon/cluster-key/index.js';
import { KubeClient } from '../../daemon/kube/client.js';
import { clusterKeyFingerprint } from '../../keys/index.js';
import { viewClusterRecipients } from './view-binding.js';

const stack = inject('stack');
const NS = `ck-view-${randomBytes(3).toString('hex')}`;
let admin: KubeClient;

beforeAll(async () => {
  admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  await admin.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
});
afterAll(async () => {
  await admin.request(`/api/v1/namespaces/${NS}`, { method: 'DELETE' }).catch(() => undefined);
  admin.close();
});

describe('viewClusterRecipients', () => {
  it('missing → none; present without a recipient → an error naming the ConfigMap; published → current and retired', async () => {
    const cm = new ClusterKeyConfigMap(admin, NS);
    const view = viewClusterRecipients(admin, { GITOPS_SEAL_NAMESPACE: NS });
    expect(await cm.readPublished()).toBeUndefined();
    expect([...(await view())]).toEqual([]);

    await admin.request(`/api/v1/namespaces/${NS}/configmaps`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name, namespace: NS } },
    });
    await expect(cm.readPublished()).rejects.toThrow(`ConfigMap ${NS}/gitops-seal-cluster-key: has no age recipient in data.recipient`);
    await expect(view()).rejects.toThrow(new RegExp(`scope binding needs ConfigMap ${NS}/gitops-seal-cluster-key .*has no age recipient`));

    const [old, cur] = [await newClusterIdentity(new Date(Date.now() - 1000)), await newClusterIdentity(new Date())];
    const pub = {
      recipient: cur.recipient,
      fingerprint: clusterKeyFingerprint(cur.recipient),
      created: new Date().toISOString(),
      retired: [old.recipient],
    };
    expect(await cm.publish(pub)).toBe(true);
    expect(await cm.readPublished()).toMatchObject({ recipient: cur.recipient, retired: [old.recipient] });
    expect([...(await view())].sort()).toEqual([cur.recipient, old.recipient].sort());
  });
});
