// An SSH deploy key and its known_hosts in a Kubernetes Secret (issue 19), end to end on the
// shared stack: an in-process daemon whose home cluster is the stack's apiserver fetches over the
// stack's sshd with the key the Secret holds, reading it at every fetch. Rotating the Secret to
// another authorized key (the old one revoked) needs no restart; a Secret without the key, or no
// Secret at all, fails the fetch naming the Secret and the key, and nothing is applied.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import { authorizeKey, revokeKey, sshRepoUrl } from '../stack/sshd.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { newSshKey, type TestKey } from '../support/ssh-fixture.js';
import { eventually, getJson, kubectl, WorkRepo } from './harness.js';

const stack = inject('stack');

describe('sources[].ssh from a Kubernetes Secret', () => {
  const sfx = Date.now().toString(36);
  const NS = `ssh-secret-${sfx}`;
  const SECRET = 'fleet-deploy-key';
  const ssh = stack.ssh;
  let kube: KubeClient;
  let repo: WorkRepo;
  let d: RunningDaemon | undefined;
  let first: TestKey;
  let second: TestKey;

  const secretPath = `/api/v1/namespaces/${NS}/secrets/${SECRET}`;
  const putSecret = (data: Record<string, string>) =>
    kube.request(secretPath, {
      method: 'PUT',
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET, namespace: NS }, stringData: data },
    });
  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NS}\ndata:\n  v: "${v}"\n`;
  const applied = async () => (await getJson<{ data: { v: string } }>(stack, ['configmap', 'settings', '-n', NS]))?.data.v;
  const poll = async (): Promise<unknown> =>
    d?.daemon.sources
      .get('fleet')
      ?.poll()
      .then(
        () => undefined,
        (e: unknown) => e,
      );

  beforeAll(async () => {
    if (ssh === undefined) throw new Error('the stack has no sshd (test/stack/stack.ts starts one)');
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    await kube.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
    first = newSshKey('ed25519');
    second = newSshKey('ecdsa');
    authorizeKey(ssh, first.publicKey, 'read');
    authorizeKey(ssh, second.publicKey, 'read');
    // `kubectl create secret generic --from-file=identity=id_ed25519 --from-file=known_hosts`.
    await kube.request(`/api/v1/namespaces/${NS}/secrets`, {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: SECRET },
        stringData: { identity: first.privateKey, known_hosts: ssh.knownHosts },
      },
    });
    repo = await WorkRepo.create(stack, `ssh-secret-${sfx}`);
    await repo.commit({ 'apps/cm.yaml': cm('1') });
  });

  afterAll(async () => {
    await d?.stop();
    if (ssh !== undefined) for (const k of [first, second]) if (k) revokeKey(ssh, k.publicKey);
    repo?.remove();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
    kube?.close();
  });

  it('fetches with the Secret key, follows its rotation without a restart, and refuses a missing Secret or key', async () => {
    if (ssh === undefined) return;
    const ref = (key: string) => ({ secret: { namespace: NS, name: SECRET, key } });
    const name = `ssh-secret-${sfx}`;
    d = await startDaemon(
      {
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: {
          sources: [
            {
              name: 'fleet',
              url: sshRepoUrl(ssh, name),
              ref: { branch: 'main' },
              interval: '1h',
              ssh: { privateKeyFrom: ref('identity'), knownHostsFrom: ref('known_hosts') },
            },
          ],
          syncs: [{ name, source: 'fleet', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
        },
      },
      { daemon: { leaderElectionKube: kube } },
    );
    const status = () => d?.daemon.status.snapshot();
    await eventually('the first revision applied over SSH', async () => (await applied()) === '1');

    // Rotation: the Secret now holds the other key, the first is no longer authorized.
    await putSecret({ identity: second.privateKey, known_hosts: ssh.knownHosts });
    revokeKey(ssh, first.publicKey);
    const v2 = await repo.commit({ 'apps/cm.yaml': cm('2') });
    expect(await poll()).toBeUndefined();
    expect(status()?.syncs[0]?.appliedRevision).toBe(v2);
    expect(await applied()).toBe('2');

    // The key is gone from the Secret: the fetch fails naming Secret and key; nothing is applied.
    await putSecret({ known_hosts: ssh.knownHosts });
    await repo.commit({ 'apps/cm.yaml': cm('3') });
    const noKey = (await poll()) as Error;
    expect(noKey.message).toContain(`cannot read key identity of Secret ${NS}/${SECRET}: key not found in Secret`);
    expect(status()?.sources[0]?.lastError?.message).toContain(`key identity of Secret ${NS}/${SECRET}`);

    // No Secret at all.
    await kube.request(secretPath, { method: 'DELETE' });
    const noSecret = (await poll()) as Error;
    expect(noSecret.message).toMatch(new RegExp(`cannot read key (identity|known_hosts) of Secret ${NS}/${SECRET}: Secret not found`));
    for (const e of [noKey, noSecret]) expect(e.message).not.toContain(second.privateKey.split('\n')[1] as string);
    expect(status()?.syncs[0]?.appliedRevision).toBe(v2);
    expect(await applied()).toBe('2');

    // Put back: the next poll applies the head.
    await putSecret({ identity: second.privateKey, known_hosts: ssh.knownHosts }).catch(() =>
      kube.request(`/api/v1/namespaces/${NS}/secrets`, {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: SECRET },
          stringData: { identity: second.privateKey, known_hosts: ssh.knownHosts },
        },
      }),
    );
    expect(await poll()).toBeUndefined();
    expect(await applied()).toBe('3');
  });
});
