// ClusterKeyStore, ClusterKeyConfigMap and the holder's check against the real kube-apiserver:
// racing creators and rotators (each with its own client, as separate replicas would be) end with
// one key and one new key; a restore merges by creation time; the holder publishes the ConfigMap
// and republishes it after an out-of-band change of the Secret; nothing it logs holds a key.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterKeyFingerprint, publicFromConfigMapData, type ClusterIdentity } from '../../keys/index.js';
import { KubeClient } from '../kube/client.js';
import { createLogger } from '../log.js';
import { TextCapture } from '../../test/support/text-capture.js';
import { ClusterKeyConfigMap } from './configmap.js';
import { ClusterKeyHolder } from './holder.js';
import { ClusterKeyring } from './keyring.js';
import { ClusterKeyError, ClusterKeyStore, newClusterIdentity } from './store.js';

const stack = inject('stack');

describe('the cluster key Secret on a real apiserver', () => {
  const suffix = Date.now().toString(36);
  const clients: KubeClient[] = [];
  let admin: KubeClient;
  const namespaces: string[] = [];

  const client = async (): Promise<KubeClient> => {
    const c = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    clients.push(c);
    return c;
  };
  const freshNamespace = async (name: string): Promise<string> => {
    const ns = `ck-${name}-${suffix}`;
    await admin.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    namespaces.push(ns);
    return ns;
  };

  beforeAll(async () => {
    admin = await client();
  });

  afterAll(async () => {
    for (const ns of namespaces) await admin.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    for (const c of clients) c.close();
  });

  it('two stores racing ensure() on a fresh namespace make exactly one key', async () => {
    const ns = await freshNamespace('race');
    const stores = await Promise.all([0, 1, 2, 3].map(async () => new ClusterKeyStore(await client(), ns)));
    const results = await Promise.all(stores.map((s) => s.ensure()));
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const recipients = new Set(results.map((r) => r.key.identities.map((k) => k.recipient).join(',')));
    expect(recipients.size).toBe(1);
    const stored = await stores[0]?.read();
    expect(stored?.identities).toHaveLength(1);
    expect(stored?.identities[0]?.recipient).toBe(results[0]?.key.identities[0]?.recipient);
    // A second ensure changes nothing.
    expect((await stores[1]?.ensure())?.changed).toBe(false);
  });

  it('concurrent rotations add one key; the older keys stay, oldest first', async () => {
    const ns = await freshNamespace('rotate');
    const stores = await Promise.all([0, 1, 2].map(async () => new ClusterKeyStore(await client(), ns)));
    const first = (await stores[0]!.ensure(new Date('2026-01-01T00:00:00Z'))).key.identities[0];
    // As the holder calls it: rotate unless the newest key is younger than the threshold. Whether
    // a racer's PUT gets 409 (the newest changed under it) or its read already sees the new key
    // (younger than the threshold), exactly one key is added.
    const threshold = new Date(Date.now() - 2000);
    const rotated = await Promise.all(stores.map((s) => s.rotate({ onlyIfOlderThan: threshold })));
    expect(rotated.filter((r) => r.changed)).toHaveLength(1);
    const after = await stores[0]!.read();
    expect(after?.identities).toHaveLength(2);
    expect(after?.identities[0]?.recipient).toBe(first?.recipient);
    // onlyIfOlderThan: the new key is younger than the threshold, so nothing is added.
    const again = await stores[1]!.rotate({ onlyIfOlderThan: new Date('2026-06-01T00:00:00Z') });
    expect(again.changed).toBe(false);
    expect((await stores[1]!.read())?.identities).toHaveLength(2);
  });

  it('restore: creates, refuses to overwrite, merges by creation time without duplicates', async () => {
    const ns = await freshNamespace('restore');
    const store = new ClusterKeyStore(await client(), ns);
    const a = await newClusterIdentity(new Date('2026-01-01T00:00:00Z'));
    const b = await newClusterIdentity(new Date('2026-03-01T00:00:00Z'));
    const c = await newClusterIdentity(new Date('2026-02-01T00:00:00Z'));
    expect((await store.restore([b, a], { merge: false })).key.identities.map((k) => k.recipient)).toEqual([a.recipient, b.recipient]);
    const refused = await store.restore([c], { merge: false }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClusterKeyError);
    expect((refused as Error).message).toMatch(
      new RegExp(`^Secret ${ns}/gitops-seal-cluster-key: cannot restore: the Secret already exists`),
    );
    const merged = await store.restore([c, a], { merge: true });
    expect(merged.changed).toBe(true);
    expect(merged.key.identities.map((k) => k.recipient)).toEqual([a.recipient, c.recipient, b.recipient]);
    expect((await store.restore([a], { merge: true })).changed).toBe(false);
  });

  it('errors name the Secret and the cause, never a key', async () => {
    const ns = await freshNamespace('broken');
    const store = new ClusterKeyStore(await client(), ns);
    const k = await newClusterIdentity(new Date());
    // A Secret whose identities.txt has a broken line after a good identity.
    await admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gitops-seal-cluster-key' },
        data: { 'identities.txt': Buffer.from(`${k.identity}\n${k.identity.slice(0, 30)}\n`).toString('base64') },
      },
    });
    const err = await store.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterKeyError);
    expect((err as Error).message).toBe(
      `Secret ${ns}/gitops-seal-cluster-key: identities.txt: line 2 is not an age identity (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...)`,
    );
    expect((err as Error).message).not.toContain(k.identity.slice(15, 30));
    const missing = new ClusterKeyStore(await client(), `ck-nonexistent-${suffix}`);
    const e2 = await missing.ensure().catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(
      /^Secret ck-nonexistent-\w+\/gitops-seal-cluster-key: cannot create: 404 NotFound: .*\(namespace ck-nonexistent-\w+ must exist\)$/,
    );
  });

  it('the holder creates and publishes once, then republishes after an out-of-band rotation within one check', async () => {
    const ns = await freshNamespace('holder');
    const logs = new TextCapture();
    const log = createLogger({ destination: logs, level: 'debug' });
    const kube = await client();
    const keyring = new ClusterKeyring(new ClusterKeyStore(kube, ns));
    const cm = new ClusterKeyConfigMap(kube, ns);
    const holder = new ClusterKeyHolder(keyring, cm, { enabled: true, rotateEveryMs: 0, checkIntervalMs: 200 }, log);
    const first = await holder.check();
    expect(first).toMatchObject({ created: true, published: true, rotated: false });
    const pub = publicFromConfigMapData(await cm.read(), cm.id);
    const key = first.key?.identities[0] as ClusterIdentity;
    expect(pub).toMatchObject({ recipient: key.recipient, fingerprint: clusterKeyFingerprint(key.recipient), retired: [] });
    expect(await holder.check()).toMatchObject({ created: false, published: false });

    // The CLI rotates the Secret directly; the running holder follows within one check interval.
    holder.start();
    const t0 = performance.now();
    const other = new ClusterKeyStore(await client(), ns);
    const rotated = await other.rotate();
    const newest = rotated.key.identities[1] as ClusterIdentity;
    let seen: string | undefined;
    while (performance.now() - t0 < 5000) {
      seen = (await cm.read())?.['recipient'];
      if (seen === newest.recipient) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const ms = performance.now() - t0;
    await holder.stop();
    expect(seen).toBe(newest.recipient);
    expect(publicFromConfigMapData(await cm.read(), cm.id).retired).toEqual([key.recipient]);
    console.log(`[cluster-key] out-of-band rotation → ConfigMap republished in ${ms.toFixed(0)} ms (checkInterval 200 ms)`);
    // The logs name the objects and recipients; never an identity.
    expect(logs.text).toContain('cluster key published');
    expect(logs.text).not.toContain('AGE-SECRET-KEY');
  });

  it('the holder rotates when the current key is older than rotateEvery, and only then', async () => {
    const ns = await freshNamespace('due');
    const kube = await client();
    const store = new ClusterKeyStore(kube, ns);
    await store.ensure(new Date(Date.now() - 10_000));
    const keyring = new ClusterKeyring(store);
    const log = createLogger({ level: 'silent' });
    const spec = { enabled: true, rotateEveryMs: 5_000, checkIntervalMs: 60_000 };
    // Two holders (a leader and one that still believes it leads) check at once: one new key.
    const holders = [0, 1].map(() => new ClusterKeyHolder(keyring, new ClusterKeyConfigMap(kube, ns), spec, log));
    const checks = await Promise.all(holders.map((h) => h.check()));
    expect(checks.filter((c) => c.rotated)).toHaveLength(1);
    expect(checks.every((c) => c.error === undefined)).toBe(true);
    expect((await store.read())?.identities).toHaveLength(2);
    expect((await holders[0]!.check()).rotated).toBe(false);
  });
});
