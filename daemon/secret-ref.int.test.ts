// The Kubernetes Secret form of a secret reference, against the real kube-apiserver and Vault
// of the shared stack: a sync's age identities and its Vault AppRole login both read from
// Secrets of the sync's cluster, through the one resolver.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../keys/index.js';
import { KubeClient } from './kube/client.js';
import { KeySourceError, SyncKeys } from './decrypt/index.js';
import { resolveSecretRef, SecretRefError } from './secret-ref.js';

const stack = inject('stack');
const ns = `secretref-${Date.now().toString(36)}`;
let kube: KubeClient;
let identity: string;

beforeAll(async () => {
  kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  identity = (await generateAgeIdentity()).identity;
  await kube.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  await kube.request(`/api/v1/namespaces/${ns}/secrets`, {
    method: 'POST',
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys' },
      // `kubectl create secret --from-file` keeps a file's trailing newline.
      stringData: {
        'identity.agekey': `${identity}\n`,
        'role-id': `${stack.vault.approle.roleId}\n`,
        'secret-id': stack.vault.approle.secretId,
      },
    },
  });
});
afterAll(async () => {
  await kube?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
  kube?.close();
});

const key = (k: string) => ({ secret: { namespace: ns, name: 'keys', key: k } });

describe('{secret: {namespace, name, key}} on a real cluster', () => {
  it('resolves to the value of the key', async () => {
    await expect(resolveSecretRef(key('role-id'), {}, kube)).resolves.toBe(stack.vault.approle.roleId);
    const missing = await resolveSecretRef({ secret: { namespace: ns, name: 'nope', key: 'x' } }, {}, kube).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SecretRefError);
    expect((missing as Error).message).toBe(`cannot read key x of Secret ${ns}/nope: Secret not found`);
  });

  it('gives a sync its age identities and its Vault AppRole login from Secrets of its cluster', async () => {
    const v = stack.vault;
    const keys = new SyncKeys(
      'apps',
      {
        age: { identitiesFrom: [key('identity.agekey')] },
        vault: {
          address: v.addr,
          transitMount: v.transitMount,
          auth: { approle: { mount: v.approle.mount, roleIdFrom: key('role-id'), secretIdFrom: key('secret-id') } },
        },
      },
      kube,
      {},
    );
    const ctx = await keys.context();
    expect(ctx.ageIdentities).toEqual([identity]);
    const provider = ctx.vault?.token;
    const token = typeof provider === 'function' ? await provider() : provider;
    expect(token).toMatch(/^\S{10,}$/);
    expect(token).not.toBe(v.rootToken);
  });

  it('names the Secret, never a value, when a sync cannot read it', async () => {
    const keys = new SyncKeys('apps', { age: { identitiesFrom: [{ secret: { namespace: ns, name: 'keys', key: 'gone' } }] } }, kube, {});
    const err = await keys.context().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeySourceError);
    expect((err as Error).message).toBe(
      `sync "apps": cannot load age identities: cannot read key gone of Secret ${ns}/keys: key not found in Secret`,
    );
  });
});
