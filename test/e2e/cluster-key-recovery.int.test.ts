// Disaster recovery of the cluster-held key (issue 16 item 4), end to end on the real stack: the
// daemon makes and publishes its key, the user fetches and pins it through the CLI (kubeconfig and
// GET /keys) and encrypts a Secret to it (plus an admin key: the backup rule), a sync applies it;
// the admin backs the key up; then the key Secret, its ConfigMap, the applied Secret and the
// daemon (process state and data dir) are destroyed; `cluster-key restore` puts the backup back
// and a fresh daemon applies the very same commit again — nothing re-encrypted by hand. The
// identities are compared in memory only.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterKeyStore } from '../../daemon/cluster-key/index.js';
import { KubeClient } from '../../daemon/kube/client.js';
import { CLUSTER_KEY_CONFIGMAP, CLUSTER_KEY_SECRET, publicClusterKey } from '../../keys/index.js';
import { sandbox, secretYaml, type Sandbox } from '../support/cli-sandbox.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from './harness.js';

const stack = inject('stack');
const id = randomBytes(3).toString('hex');
const HOME = `ck-dr-${id}`;
const APP = `ck-dr-app-${id}`;
const SYNC = `ck-dr-${id}`;
const CANARY = `canary-dr-${id}`;

let admin: KubeClient;
let sb: Sandbox;
let repo: WorkRepo;
let daemon: RunningDaemon | undefined;

const config = {
  apiVersion: 'gitops-seal.io/v1alpha1',
  kind: 'DaemonConfig',
  spec: {
    clusterKey: { enabled: true, checkInterval: '1s' },
    // Polled every second: the commit made after the daemon started is picked up without a webhook.
    sources: [gitSourceConfig(stack, 'repo', '', { interval: '1s' })],
    syncs: [
      {
        name: SYNC,
        source: 'repo',
        path: 'apps',
        interval: '1h',
        allowEmpty: true,
        kubeconfig: { file: stack.kube.kubeconfig },
        decryption: { clusterKey: true },
      },
    ],
  },
};

async function start(): Promise<RunningDaemon> {
  const home = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  return startDaemon(config, { daemon: { homeNamespace: HOME, inventoryNamespace: HOME, leaderElectionKube: home } });
}

async function applied(d: RunningDaemon, sha: string): Promise<boolean> {
  const s = (await (await fetch(`${d.url}/status`)).json()) as { syncs: { name: string; appliedRevision?: string; lastError?: unknown }[] };
  const sync = s.syncs.find((x) => x.name === SYNC);
  if (sync?.appliedRevision === sha) return true;
  // eventually() names the last error when it gives up: the sync's, if it has one.
  if (sync?.lastError !== undefined) throw new Error(JSON.stringify(sync.lastError));
  return false;
}

async function appSecretValue(): Promise<string | undefined> {
  const s = await admin.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${APP}/secrets/db`);
  const v = s?.data?.['password'];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

beforeAll(async () => {
  setGitEnv(stack);
  admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  await admin.request('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: HOME } } });
  repo = await WorkRepo.create(stack, `ck-dr-${id}`);
  (config.spec.sources[0] as { url: string }).url = repo.url;
  sb = await sandbox();
});

afterAll(async () => {
  await daemon?.stop();
  for (const ns of [HOME, APP]) await admin?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
  admin?.close();
  repo?.remove();
  await sb?.cleanup();
});

describe('cluster key: sync, backup, destroy, restore, sync again', () => {
  it('the same commit applies again after the key is restored from its backup', async () => {
    daemon = await start();
    const d = daemon;
    // The leader creates and publishes the key; the CLI reads it through /keys and the ConfigMap alike.
    const store = new ClusterKeyStore(admin, HOME);
    await eventually(
      'cluster key published',
      async () => (await admin.getOptional(`/api/v1/namespaces/${HOME}/configmaps/${CLUSTER_KEY_CONFIGMAP}`)) !== undefined,
      30_000,
    );
    const original = (await store.read())?.identities ?? [];
    const pub = publicClusterKey(original);
    const viaUrl = await sb.run(['cluster-key', 'fetch', '--url', d.url, '-o', 'json']);
    expect(viaUrl.code).toBe(0);
    expect(JSON.parse(viaUrl.out)).toMatchObject({ recipient: pub.recipient, fingerprint: pub.fingerprint, source: `${d.url}/keys` });

    // The team's rule: the admin key (backup recipient) and the cluster key, pinned.
    await sb.write('.sops.yaml', `creation_rules:\n  - path_regex: ^apps/\n    age: ${sb.recipient}\n`);
    const add = await sb.run(['cluster-key', 'add', '^apps/', '--kubeconfig', stack.kube.kubeconfig, '-n', HOME]);
    expect(add.code).toBe(0);
    await mkdir(join(sb.dir, 'apps'), { recursive: true });
    await sb.write('apps/secret.yaml', secretYaml('db', { password: CANARY }).replace('namespace: apps', `namespace: ${APP}`));
    const enc = await sb.run(['encrypt', '-i', 'apps/secret.yaml']);
    expect(enc.code).toBe(0);
    const sha = await repo.commit({
      'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${APP}\n`,
      'apps/secret.yaml': await sb.read('apps/secret.yaml'),
    });
    await eventually('first apply', () => applied(d, sha), 60_000);
    expect(await appSecretValue()).toBe(CANARY);

    // Admin: the backup, to the admin key.
    const backup = await sb.run([
      'cluster-key',
      'backup',
      '--to',
      sb.recipient,
      '-o',
      'cluster-key.age',
      '--kubeconfig',
      stack.kube.kubeconfig,
      '-n',
      HOME,
    ]);
    expect(backup.code).toBe(0);

    // Disaster: the daemon and its data dir, the key Secret and ConfigMap, the applied Secret.
    await d.stop();
    await rm(d.dataDir, { recursive: true, force: true });
    daemon = undefined;
    for (const p of [`secrets/${CLUSTER_KEY_SECRET}`, `configmaps/${CLUSTER_KEY_CONFIGMAP}`]) {
      await admin.request(`/api/v1/namespaces/${HOME}/${p}`, { method: 'DELETE' });
    }
    await admin.request(`/api/v1/namespaces/${APP}/secrets/db`, { method: 'DELETE' });
    expect(await store.read()).toBeUndefined();

    // Recovery, as documented: restore first, then start the daemon.
    const t0 = Date.now();
    const restore = await sb.run([
      'cluster-key',
      'restore',
      '--from',
      'cluster-key.age',
      '--kubeconfig',
      stack.kube.kubeconfig,
      '-n',
      HOME,
    ]);
    expect(restore.code).toBe(0);
    const tRestored = Date.now();
    daemon = await start();
    const again = daemon;
    await eventually('same commit applied after restore', () => applied(again, sha), 60_000);
    const tApplied = Date.now();
    expect(await appSecretValue()).toBe(CANARY);
    const restored = (await store.read())?.identities ?? [];
    expect(restored.map((k) => k.identity).join('\n') === original.map((k) => k.identity).join('\n')).toBe(true);
    // The daemon adopted the restored key (no new one) and publishes the pinned fingerprint again.
    await eventually(
      'ConfigMap republished',
      async () => (await admin.getOptional(`/api/v1/namespaces/${HOME}/configmaps/${CLUSTER_KEY_CONFIGMAP}`)) !== undefined,
      30_000,
    );
    const fetched = await sb.run(['cluster-key', 'fetch', '--kubeconfig', stack.kube.kubeconfig, '-n', HOME]);
    expect(fetched.code).toBe(0);
    expect(fetched.err).toContain('matches the pin "default"');
    process.stderr.write(`cluster-key recovery: restore ${tRestored - t0} ms, daemon start to applied ${tApplied - tRestored} ms\n`);
  }, 180_000);
});
