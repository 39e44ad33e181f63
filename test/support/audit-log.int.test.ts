// The audit log reader on a real apiserver started with the writes audit policy: writes by two
// "replicas" (KubeClients with replica User-Agents) are attributed and counted; reads, dry-runs
// and other clients' writes are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import { replicaUserAgent } from '../../daemon/kube/user-agent.js';
import { doubleWrites, pingPongs, readAuditWrites, writesPerReplica } from './audit-log.js';
import { startTestCluster, type TestCluster } from './kube-cluster.js';

let cluster: TestCluster;
let a: KubeClient;
let b: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster({ audit: true, nodes: 1 });
  a = await KubeClient.load({ kubeconfig: cluster.info.kubeconfig }, { userAgent: replicaUserAgent('rep-a') });
  b = await KubeClient.load({ kubeconfig: cluster.info.kubeconfig }, { userAgent: replicaUserAgent('rep-b') });
});
afterAll(async () => {
  a?.close();
  b?.close();
  await cluster?.stop();
});

const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });
const apply = (c: KubeClient, name: string, v: string, dryRun = false) =>
  c.request(`/api/v1/namespaces/default/configmaps/${name}`, {
    method: 'PATCH',
    query: { fieldManager: 'gitops-seal', force: true, ...(dryRun ? { dryRun: 'All' } : {}) },
    contentType: 'application/apply-patch+yaml',
    body: cm(name, v),
  });

describe('audit log writes per replica', () => {
  it('attributes writes to replicas by User-Agent and counts double writes and ping-pongs', async () => {
    const t0 = Date.now() - 1000;
    await apply(a, 'one', '1');
    await apply(a, 'two', '1');
    await apply(b, 'two', '2', true); // dry-run: not a write
    await b.request('/api/v1/namespaces/default/configmaps/one'); // a read
    await cluster.client.request('/api/v1/namespaces/default/configmaps/one', { method: 'DELETE' }); // not a replica
    const t1 = Date.now() + 500;
    await new Promise((r) => setTimeout(r, 1100));
    await apply(b, 'two', '3');
    await apply(a, 'two', '4');
    // The log backend writes each event as the request completes; give it a moment to reach the file.
    let writes = readAuditWrites(cluster.info.auditLog!);
    for (let i = 0; i < 20 && writes.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      writes = readAuditWrites(cluster.info.auditLog!);
    }
    expect(writes.map((w) => [w.replica, w.verb, w.object])).toEqual([
      ['rep-a', 'patch', '/configmaps/default/one'],
      ['rep-a', 'patch', '/configmaps/default/two'],
      ['rep-b', 'patch', '/configmaps/default/two'],
      ['rep-a', 'patch', '/configmaps/default/two'],
    ]);
    expect(writesPerReplica(writes)).toEqual({ 'rep-a': 3, 'rep-b': 1 });
    expect(doubleWrites(writes, [{ name: 'first', from: t0, to: t1 }])).toEqual([]);
    expect(doubleWrites(writes, [{ name: 'second', from: t1, to: Date.now() + 1000 }])).toEqual([
      { window: 'second', object: '/configmaps/default/two', replicas: ['rep-a', 'rep-b'] },
    ]);
    expect(pingPongs(writes)).toEqual([{ object: '/configmaps/default/two', writers: ['rep-a', 'rep-b', 'rep-a'] }]);
  });
});
