// The cluster key end to end, with two daemon replicas as real processes (--leader-elect) on the
// stack: the leader creates ONE key and publishes it (ConfigMap, and /keys on both replicas); a
// sync with decryption.clusterKey applies a Secret the real sops binary sealed to the published
// recipient, a sync without it refuses the same file (no matching key, named); the key rotates
// after rotateEvery, files sealed to the retired key keep applying and are counted in /status and
// the metrics; an out-of-band rotation (what `gitops-seal cluster-key rotate` does) is
// republished within one checkInterval. Prints the two figures the issue asks for.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  clusterKeyFingerprint,
  encryptText,
  generateAgeIdentity,
  publicClusterKey,
  publicFromConfigMapData,
  type ClusterKeyPublic,
} from '../../keys/index.js';
import { KubeClient } from '../kube/client.js';
import type { ClusterKeyStatus } from '../status/index.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from '../../test/e2e/harness.js';
import { logsOf, printLogsOnFailure, startReplica, statusOf, stopReplicas, writeConfig, type Replica } from '../../test/e2e/replicas.js';
import { samples } from '../../test/support/exposition.js';
import { ClusterKeyConfigMap } from './configmap.js';
import { ClusterKeyStore } from './store.js';

const stack = inject('stack');
const run = promisify(execFile);
const RULE = { encryptedRegex: '^(data|stringData|gitops-seal.dev/scope)$' };

describe('the cluster key, two daemon replicas', () => {
  const id = Date.now().toString(36);
  const home = `ck-home-${id}`;
  const app = `ck-app-${id}`;
  const SYNC_YES = `ck-yes-${id}`;
  const SYNC_NO = `ck-no-${id}`;
  let admin: KubeClient;
  let repo: WorkRepo;
  let work: string;
  let replicas: Replica[] = [];
  let store: ClusterKeyStore;
  let cm: ClusterKeyConfigMap;
  let startedAt = 0;

  const secret = (name: string, value: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${app}\n  annotations:\n    gitops-seal.dev/scope: "${app}/${name}"\ntype: Opaque\nstringData:\n  password: ${value}\n`;
  const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${app}\ndata: {a: b}\n`;
  const seal = (text: string, recipient: string, source: string) =>
    encryptText(text, { format: 'yaml', source, keys: { age: [recipient] }, rule: RULE }, {});
  /** The real sops binary seals it (interop: what a user runs after `cluster-key add`). */
  const sealBySops = async (text: string, recipient: string): Promise<string> => {
    const file = join(work, 'plain.yaml');
    writeFileSync(file, text);
    try {
      return (await run(stack.bins.sops, ['encrypt', '--age', recipient, '--encrypted-regex', RULE.encryptedRegex, file])).stdout;
    } finally {
      rmSync(file, { force: true });
    }
  };
  const appSecret = async (name: string) =>
    (await admin.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${app}/secrets/${name}`))?.data?.['password'];
  const published = async (): Promise<ClusterKeyPublic | undefined> => {
    const data = await cm.read();
    return data ? publicFromConfigMapData(data, cm.id) : undefined;
  };
  const leader = async (): Promise<Replica> =>
    eventually('a leader', async () => {
      for (const r of replicas) if ((await statusOf(r))?.leader) return r;
      return undefined;
    });
  const keyStatus = async (r: Replica) => (await statusOf(r))?.clusterKey as ClusterKeyStatus | undefined;

  beforeAll(async () => {
    setGitEnv(stack);
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-ck-'));
    admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    for (const ns of [home, app])
      await admin.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    store = new ClusterKeyStore(admin, home);
    cm = new ClusterKeyConfigMap(admin, home);
    repo = await WorkRepo.create(stack, `ck-${id}`);
    await repo.commit({ 'apps-yes/cm.yaml': configMap('cm-yes'), 'apps-no/cm.yaml': configMap('cm-no') }, 'start');
    const other = await generateAgeIdentity();
    const otherFile = join(work, 'other.key');
    writeFileSync(otherFile, other.file, { mode: 0o600 });
    const kubeconfig = { file: stack.kube.kubeconfig };
    const config = writeConfig({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
        syncs: [
          { name: SYNC_YES, source: 'repo', path: 'apps-yes', interval: '1h', kubeconfig, decryption: { clusterKey: true } },
          // Has keys of its own, not the cluster's: least privilege, it cannot open the cluster's files.
          {
            name: SYNC_NO,
            source: 'repo',
            path: 'apps-no',
            interval: '1h',
            kubeconfig,
            decryption: { age: { identitiesFrom: [{ file: otherFile }] } },
          },
        ],
        clusterKey: { enabled: true, rotateEvery: '20s', checkInterval: '1s' },
      },
    });
    const args = ['--leader-election-namespace', home, '--leader-election-id', `ck-${id}`];
    startedAt = Date.now();
    replicas = await Promise.all(['a', 'b'].map((n) => startReplica(stack, `ck-${id}-${n}`, config, args)));
  });

  printLogsOnFailure(() => replicas);

  afterAll(async () => {
    await stopReplicas(replicas);
    for (const ns of [home, app]) await admin?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    admin?.close();
    repo?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let first: ClusterKeyPublic;

  it('the leader creates one key and publishes it: ConfigMap, /keys on both replicas, /status', async () => {
    first = await eventually('ConfigMap published', published, 60_000, 50);
    const publishedAt = Date.now();
    const identities = (await store.read())?.identities ?? [];
    expect(identities).toHaveLength(1);
    expect(first).toEqual({ ...publicClusterKey(identities), created: identities[0]?.created.toISOString() });
    expect(first.fingerprint).toBe(clusterKeyFingerprint(first.recipient));
    for (const r of replicas) {
      const res = await fetch(`${r.url}/keys`);
      expect(res.status, r.name).toBe(200);
      expect(await res.json()).toEqual(publicClusterKey(identities));
    }
    const lead = await leader();
    expect(await keyStatus(lead)).toMatchObject({ secretName: `${home}/gitops-seal-cluster-key`, recipient: first.recipient, retired: 0 });
    // Figure: from the daemon's "endpoints listening" to "cluster key published" in its own log.
    const lines = logsOf(lead);
    const t = (msg: string) => lines.find((l) => l['msg'] === msg)?.['time'] as number | undefined;
    const listening = t('endpoints listening');
    const pub = t('cluster key published');
    console.log(
      `[cluster-key] ConfigMap published ${publishedAt - startedAt} ms after the replicas were spawned; ${
        pub !== undefined && listening !== undefined ? pub - listening : '?'
      } ms after the leader's endpoints listened (its log)`,
    );
    expect(lines.filter((l) => l['msg'] === 'cluster key created')).toHaveLength(1);
  });

  it('a sync with decryption.clusterKey applies a file sealed by sops to the published recipient; a sync without it refuses', async () => {
    const sha = await repo.commit(
      {
        'apps-yes/secret.yaml': await sealBySops(secret('sealed', 'v1'), first.recipient),
        'apps-no/secret.yaml': await seal(secret('sealed-no', 'x'), first.recipient, 'apps-no/secret.yaml'),
      },
      'sealed to the cluster',
    );
    await eventually(
      'the cluster-key sync applied',
      async () => (await appSecret('sealed')) === Buffer.from('v1').toString('base64'),
      60_000,
    );
    const lead = await leader();
    const no = await eventually('the other sync refused', async () => {
      const s = (await statusOf(lead))?.syncs.find((x) => x.name === SYNC_NO);
      return s?.attemptedRevision === sha && s.lastError ? s.lastError : undefined;
    });
    expect(no.stage).toBe('decrypt');
    expect(no.message).toContain(
      `apps-no/secret.yaml: decryption failed: no key could decrypt the data key: age ${first.recipient} (no matching identity)`,
    );
    expect(await appSecret('sealed-no')).toBeUndefined();
  });

  it('rotates after rotateEvery; the retired key keeps decrypting and its files are counted', async () => {
    const rotated = await eventually(
      'a rotation',
      async () => {
        const p = await published();
        return p && p.recipient !== first.recipient ? p : undefined;
      },
      60_000,
      100,
    );
    expect(rotated.retired).toContain(first.recipient);
    expect((await store.read())?.identities.map((k) => k.recipient)).toContain(first.recipient);
    // A new file sealed to the old (retired) key still applies.
    await repo.commit(
      { 'apps-yes/secret-old.yaml': await seal(secret('old-key', 'v2'), first.recipient, 'apps-yes/secret-old.yaml') },
      'old key',
    );
    await eventually(
      'a file sealed to a retired key applied',
      async () => (await appSecret('old-key')) === Buffer.from('v2').toString('base64'),
      60_000,
    );
    const lead = await leader();
    let last: unknown;
    const st = await eventually('retiredOnly counted', async () => {
      const k = await keyStatus(lead);
      last = k;
      return k?.retiredOnly[SYNC_YES] === 2 ? k : undefined;
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}; last clusterKey status: ${JSON.stringify(last)}`);
    });
    expect(st.retired).toBeGreaterThanOrEqual(1);
    expect(st.retiredOnly).toEqual({ [SYNC_YES]: 2 });
    const metrics = await (await fetch(`${lead.url}/metrics`)).text();
    expect(samples(metrics, 'gitops_seal_cluster_key_retired_only_files', { sync: SYNC_YES })[0]?.value).toBe(2);
    const created = samples(metrics, 'gitops_seal_cluster_key_created_timestamp_seconds')[0]?.value ?? 0;
    expect(created).toBeGreaterThanOrEqual(Date.parse(rotated.created) / 1000);
  });

  it('an out-of-band rotation of the Secret is republished within one checkInterval', async () => {
    const before = (await published())?.recipient;
    const t0 = Date.now();
    const r = await store.rotate();
    const newest = r.key.identities[r.key.identities.length - 1]?.recipient;
    expect(newest).not.toBe(before);
    const p = await eventually(
      'republished',
      async () => ((await published())?.recipient === newest ? published() : undefined),
      10_000,
      20,
    );
    const ms = Date.now() - t0;
    expect(p?.retired).toContain(before);
    console.log(`[cluster-key] out-of-band Secret change → ConfigMap republished in ${ms} ms (checkInterval 1 s)`);
    expect(ms).toBeLessThan(2500);
    // Every replica serves the new key at once (read when asked).
    for (const rep of replicas) expect(((await (await fetch(`${rep.url}/keys`)).json()) as ClusterKeyPublic).recipient).toBe(newest);
  });
});
