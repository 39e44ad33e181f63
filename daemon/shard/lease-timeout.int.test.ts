// A request timeout with a fraction of a millisecond reaches the apiserver. The shard coordinator
// and the leader elector pass one while a held Lease is renewed (the time left until the renew
// deadline, measured on performance.now()), and AbortSignal.timeout throws ERR_OUT_OF_RANGE on a
// fraction: every such renewal failed before it was sent, so a replica renewed only every other
// retry period and, under load, lost its shards and exited (found by bench/shards.ts, issue 21).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { LeaseStore } from '../leader/index.js';
import { GroupLeaseApi } from './lease-api.js';
import { leaseLabels, shardLeaseName } from './names.js';

const stack = inject('stack');
const NS = 'default';
const id = Date.now().toString(36);
const record = { holderIdentity: 'r1', leaseDurationSeconds: 10, leaseTransitions: 0 };

describe('Lease requests with a fractional timeout', () => {
  let kube: KubeClient;
  beforeAll(async () => {
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  });
  afterAll(async () => {
    for (const name of [shardLeaseName(`lt-${id}`, 0), `lt-${id}`])
      await kube?.request(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`, { method: 'DELETE' }).catch(() => undefined);
    kube?.close();
  });

  it('shard Leases: create, update and list', async () => {
    const api = new GroupLeaseApi(kube, NS, `lt-${id}`);
    const meta = { labels: leaseLabels(`lt-${id}`, 'shard', 0) };
    const created = await api.create(shardLeaseName(`lt-${id}`, 0), record, meta, 4027.585553);
    const renewed = await api.update(created.name, { ...record, holderIdentity: 'r2' }, meta, created.resourceVersion, 5000.25);
    expect(renewed.record.holderIdentity).toBe('r2');
    expect((await api.list(1234.5)).map((l) => l.record.holderIdentity)).toEqual(['r2']);
  });

  it('the leader Lease: create, update and get', async () => {
    const store = new LeaseStore(kube, { namespace: NS, name: `lt-${id}` });
    const created = await store.create(record, 3500.75);
    await store.update({ ...record, holderIdentity: 'r2' }, created.resourceVersion, 2999.5);
    expect((await store.get(700.125))?.record.holderIdentity).toBe('r2');
  });
});
