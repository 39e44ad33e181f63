// wait against the stack's real kube-apiserver: an object deleted after apply is reported
// Missing (the gitops-engine word), not Progressing, and never counts as Ready.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { WaitError } from './errors.js';
import { ResourceManager } from './manager.js';

const stack = inject('stack');
// Unique per run: the stack is shared with other test runs.
const NS = `wait-missing-${Date.now().toString(36)}`;
let client: KubeClient;
let rm: ResourceManager;

beforeAll(async () => {
  client = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  rm = new ResourceManager(client, { fieldManager: 'gitops-seal', syncName: NS, pollIntervalMs: 100 });
});
afterAll(async () => {
  await client?.request(`/api/v1/namespaces/${NS}`, { method: 'DELETE' }).catch(() => undefined);
  client?.close();
});

describe('wait', () => {
  it('an applied object that is gone is Missing until the timeout, which names it', async () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: NS }, data: { k: 'v' } };
    await rm.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, cm]);
    expect((await rm.wait([cm], { timeoutMs: 10_000 })).map((s) => s.health.status)).toEqual(['Ready']);

    await client.request(`/api/v1/namespaces/${NS}/configmaps/gone`, { method: 'DELETE' });
    const err = await rm.wait([cm], { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitError);
    expect((err as WaitError).reason).toBe('timeout');
    expect((err as WaitError).pending.map((p) => p.health)).toEqual([{ status: 'Missing', message: 'not found' }]);
    expect((err as WaitError).message).toContain(`ConfigMap/${NS}/gone: Missing (not found)`);
  });
});
