import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from './errors.js';
import { startTestCluster, type TestCluster } from '../../test/support/kube-cluster.js';
import { RESTMapper } from './discovery.js';
import { watch, type WatchEvent } from './watch.js';
import type { KubeList } from './types.js';

let kube: TestCluster;
beforeAll(async () => {
  kube = await startTestCluster();
});
afterAll(async () => {
  await kube?.stop();
});

describe('kube client', () => {
  it('discovers scope and resources of built-in kinds', async () => {
    const m = new RESTMapper(kube.client);
    expect(await m.mapping('apps/v1', 'Deployment')).toMatchObject({ resource: 'deployments', namespaced: true });
    expect(await m.mapping('v1', 'Namespace')).toMatchObject({ resource: 'namespaces', namespaced: false });
    expect(await m.find('example.invalid/v1', 'Nope')).toBeUndefined();
    const all = await m.refresh();
    expect(all.some((r) => r.group === 'rbac.authorization.k8s.io' && r.kind === 'ClusterRole' && !r.namespaced)).toBe(true);
  });

  it('sends exactly the JSON given and maps error Status to KubeApiError', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raw', namespace: 'default' }, data: { 'x.y': 'z' } };
    await kube.client.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body });
    const err = await kube.client.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(409);
    expect((err as KubeApiError).reason).toBe('AlreadyExists');
  });

  it('watches a collection from a resourceVersion', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    const list = await kube.client.request<KubeList>(base);
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of watch(kube.client, base, {
        resourceVersion: list.metadata.resourceVersion,
        signal: ac.signal,
        fieldSelector: 'metadata.name=w',
      })) {
        seen.push(ev);
        if (ev.type === 'DELETED') ac.abort();
      }
    })();
    await kube.client.request(base, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { a: '1' } },
    });
    await kube.client.request(`${base}/w`, {
      method: 'PUT',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { a: '2' } },
    });
    await kube.client.request(`${base}/w`, { method: 'DELETE' });
    await done;
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect((seen[1]?.object as { data?: Record<string, string> }).data?.a).toBe('2');
  });
});
