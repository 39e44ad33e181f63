// deploy/ on the real apiserver: the manifests are accepted (server-side apply, Pod Security
// "restricted" admission, kwok rolls the Deployment out), and the daemon — the real
// gitops-seal-daemon process with --leader-elect — does its whole job with nothing but the
// ServiceAccount tokens of deploy/'s RBAC: apply, inventory, Events, Lease. What that RBAC does
// not allow is refused by the apiserver with 403, and /status names the object.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient } from '../../daemon/kube/client.js';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { KubeApiError } from '../../daemon/kube/errors.js';
import type { DaemonStatus, SyncStatus } from '../../daemon/status/index.js';
import { eventually, getJson, gitSourceConfig, kubectl, WorkRepo } from '../e2e/harness.js';
import { freePort } from '../stack/procs.js';
import type { StackInfo } from '../stack/types.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';
import { DEPLOY, kustomizeObjects, TENANT } from './files.js';

const stack = inject('stack');
const id = randomBytes(3).toString('hex');
const SYSTEM_NS = 'gitops-seal-system';
const work = mkdtempSync(join(tmpdir(), `gitops-seal-deploy-${id}-`));
const cleanups: (() => Promise<unknown>)[] = [];

/** A kubeconfig that authenticates as `sa` with a TokenRequest token (kubectl create token). */
async function saKubeconfig(s: StackInfo, namespace: string, sa: string): Promise<string> {
  const token = (await kubectl(s, ['create', 'token', sa, '-n', namespace, '--duration=1h'])).trim();
  const file = join(work, `kubeconfig-${namespace}`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'stack', cluster: { server: s.kube.server, 'certificate-authority': s.kube.caFile } }],
      users: [{ name: sa, user: { token } }],
      contexts: [{ name: sa, context: { cluster: 'stack', user: sa, namespace } }],
      'current-context': sa,
    }),
    { mode: 0o600 },
  );
  return file;
}

/** Deployment, ReplicaSets, Pods, nodes and warning Events of the rollout, as kubectl prints them. */
async function rolloutDiagnostics(): Promise<string> {
  const parts: string[] = [];
  const show = async (title: string, args: string[]): Promise<void> => {
    const out = await kubectl(stack, args).catch((e: unknown) => `(${String(e)})`);
    parts.push(`--- ${title}\n${out.slice(0, 4000)}`);
  };
  await show('deployment', ['get', 'deployment', 'gitops-seal', '-n', SYSTEM_NS, '-o', 'jsonpath={.status}']);
  await show('replicasets and pods', ['get', 'replicasets,pods', '-n', SYSTEM_NS, '-o', 'wide']);
  await show('nodes', ['get', 'nodes', '-o', 'wide']);
  await show('pods on all nodes', ['get', 'pods', '-A', '--no-headers', '-o', 'custom-columns=NODE:.spec.nodeName,PHASE:.status.phase']);
  await show('warning events', ['get', 'events', '-n', SYSTEM_NS, '--field-selector', 'type=Warning', '--sort-by=.lastTimestamp']);
  return parts.join('\n');
}

interface RunningDaemon {
  process: DaemonProcess;
  url: string;
  status(): Promise<DaemonStatus>;
  sync(name: string): Promise<SyncStatus | undefined>;
}

/** gitops-seal-daemon as a process, exactly as the Deployment runs it (flags, env). */
async function runDaemon(name: string, config: object, kubeconfig: string, ns: string): Promise<RunningDaemon> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify({ apiVersion: 'gitops-seal.io/v1alpha1', kind: 'DaemonConfig', metadata: { name }, spec: config }));
  const port = await freePort();
  const daemon = await startDaemonProcess({
    name: `deploy-daemon-${name}`,
    args: [
      `--config=${file}`,
      `--listen=127.0.0.1:${port}`,
      `--data-dir=${join(work, `data-${name}`)}`,
      `--inventory-namespace=${ns}`,
      '--leader-elect',
      `--leader-election-namespace=${ns}`,
      `--leader-election-id=${name}`,
    ],
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      POD_NAME: `${name}-pod`,
      POD_NAMESPACE: ns,
      E2E_GIT_USER: stack.git.username,
      E2E_GIT_PASSWORD: stack.git.password,
    },
  });
  cleanups.push(() => daemon.stop());
  const url = `http://127.0.0.1:${port}`;
  const status = async (): Promise<DaemonStatus> => (await (await fetch(`${url}/status`)).json()) as DaemonStatus;
  return { process: daemon, url, status, sync: async (n) => (await status()).syncs.find((s) => s.name === n) };
}

/** Wait for `what` with the daemon's log in the error. */
async function until<T>(d: RunningDaemon, what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  try {
    return await eventually(what, fn, timeoutMs, 250);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- daemon log ---\n${d.process.tail(30)}`);
  }
}

const configMap = (name: string, ns?: string): string =>
  stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(ns ? { namespace: ns } : {}) }, data: { greeting: 'hello' } });
const deployment = (name: string, ns?: string): string =>
  stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1.0.0',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  });

beforeAll(async () => {
  // deploy/ as a user installs it (kustomization), on top of the stack's own SA in the same
  // namespace: server-side apply merges, so a second run is a no-op.
  // A fresh rollout each run: a previous run's Deployment must be gone with its ReplicaSet first
  // (a new Deployment would otherwise race the garbage collector for the same ReplicaSet name).
  await kubectl(stack, [
    'delete',
    'deployment',
    'gitops-seal',
    '-n',
    SYSTEM_NS,
    '--ignore-not-found',
    '--cascade=foreground',
    '--wait=true',
    '--timeout=60s',
  ]);
  await kubectl(stack, ['apply', '--server-side', '--force-conflicts', '--field-manager=deploy-int-test', '-k', DEPLOY]);
  cleanups.push(() =>
    kubectl(stack, ['delete', 'deployment', 'gitops-seal', '-n', SYSTEM_NS, '--ignore-not-found', '--cascade=foreground', '--wait=false']),
  );
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

// The three cases share nothing but the applied deploy/; most of their time is waiting for
// polls, so they run concurrently to stay within the time budget.
describe.concurrent('deploy/ on the real apiserver', () => {
  it('is accepted and the 2-replica Deployment rolls out under Pod Security "restricted" (kwok nodes)', async () => {
    const ns = await getJson<{ metadata: { labels: Record<string, string> } }>(stack, ['namespace', SYSTEM_NS]);
    expect(ns?.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The aggregated ClusterRole is filled by the controller-manager from the labelled one.
    await eventually('gitops-seal-platform aggregated', async () => {
      const r = await getJson<{ rules?: { resources?: string[] }[] }>(stack, ['clusterrole', 'gitops-seal-platform']);
      return (r?.rules ?? []).some((x) => x.resources?.includes('deployments'));
    });
    // Pods that broke "restricted" would never be created: the ReplicaSet reports FailedCreate.
    const d = await eventually(
      'gitops-seal Deployment available',
      async () => {
        const x = await getJson<{ status?: { readyReplicas?: number; updatedReplicas?: number } }>(stack, [
          'deployment',
          'gitops-seal',
          '-n',
          SYSTEM_NS,
        ]);
        return x?.status?.readyReplicas === 2 && x.status.updatedReplicas === 2 ? x : undefined;
      },
      75_000,
    ).catch(async (err: unknown) => {
      // A rollout that never finished once in CI (fresh machine, full suite) and never here: the
      // failure carries what the cluster saw, so the next one explains itself.
      throw new Error(`${String(err)}\n${await rolloutDiagnostics()}`);
    });
    expect(d.status?.readyReplicas).toBe(2);
  });

  it('platform RBAC: the daemon applies, keeps its inventory, Events and Lease; a ClusterRoleBinding is refused with 403', async () => {
    const kubeconfig = await saKubeconfig(stack, SYSTEM_NS, 'gitops-seal');
    const repo = await WorkRepo.create(stack, `deploy-platform-${id}`);
    cleanups.push(async () => repo.remove());
    const appNs = `deploy-platform-${id}`;
    cleanups.push(() => kubectl(stack, ['delete', 'namespace', appNs, '--ignore-not-found', '--wait=false']));
    const sync = `deploy-platform-${id}`;
    const head = await repo.commit({
      'namespace.yaml': stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNs } }),
      'app/configmap.yaml': configMap('settings', appNs),
      'app/deployment.yaml': deployment('web', appNs),
    });
    const d = await runDaemon(
      sync,
      {
        listen: '127.0.0.1:9797',
        sources: [{ ...gitSourceConfig(stack, 'fleet', repo.url), interval: '2s' }],
        syncs: [{ name: sync, source: 'fleet' }],
        // The cluster key under the Role of deploy/rbac-self.yaml: created, published, rotated.
        clusterKey: { enabled: true, rotateEvery: '3s', checkInterval: '1s' },
      },
      kubeconfig,
      SYSTEM_NS,
    );
    cleanups.push(async () => {
      await kubectl(stack, ['delete', 'secret,configmap', 'gitops-seal-cluster-key', '-n', SYSTEM_NS, '--ignore-not-found']);
    });

    const applied = await until(d, 'platform sync applied', async () => {
      const s = await d.sync(sync).catch(() => undefined);
      return s?.appliedRevision === head ? s : undefined;
    });
    expect(applied.objects).toBe(3);
    expect((await getJson<{ data: Record<string, string> }>(stack, ['configmap', 'settings', '-n', appNs]))?.data.greeting).toBe('hello');
    expect(await getJson(stack, ['deployment', 'web', '-n', appNs])).toBeDefined();
    // Inventory, Event and Lease: all written with the ServiceAccount's token.
    const inv = await getJson<{ data: { revision: string; entries: string } }>(stack, [
      'configmap',
      `gitops-seal-inventory-${sync}`,
      '-n',
      SYSTEM_NS,
    ]);
    expect(inv?.data.revision).toBe(head);
    expect(inv?.data.entries.split('\n')).toHaveLength(3);
    await until(d, 'ReconciliationSucceeded Event', async () => {
      // Selected by the server: the shared namespace holds thousands of other tests' Events.
      const ev = await getJson<{ items: { reason: string; involvedObject: { name: string } }[] }>(stack, [
        'events',
        '-n',
        SYSTEM_NS,
        `--field-selector=involvedObject.name=gitops-seal-inventory-${sync}`,
      ]);
      return ev?.items.some((e) => e.reason === 'ReconciliationSucceeded' && e.involvedObject.name === `gitops-seal-inventory-${sync}`);
    });
    const lease = await getJson<{ spec: { holderIdentity: string } }>(stack, ['lease', sync, '-n', SYSTEM_NS]);
    expect(lease?.spec.holderIdentity).toBe(`${sync}-pod`);
    expect((await d.status()).leader).toBe(true);
    // The cluster key with the ServiceAccount's token only: Secret created (create), rotated
    // (update by name), ConfigMap published and republished (create, update by name).
    const rotated = await until(d, 'cluster key rotated and republished', async () => {
      const cm = await getJson<{ data: Record<string, string> }>(stack, ['configmap', 'gitops-seal-cluster-key', '-n', SYSTEM_NS]);
      return cm && cm.data.retired !== '' ? cm.data : undefined;
    });
    expect(rotated.recipient).toMatch(/^age1/);
    const keyStatus = (await d.status()).clusterKey;
    expect(keyStatus?.lastError).toBeUndefined();
    expect(keyStatus?.secretName).toBe(`${SYSTEM_NS}/gitops-seal-cluster-key`);

    // Granting itself cluster-admin is beyond gitops-seal-platform: the apiserver says 403 at
    // the dry-run, nothing of the revision is applied, and /status names the object.
    const crb = `deploy-escalation-${id}`;
    const bad = await repo.commit({
      'app/crb.yaml': stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: crb },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'gitops-seal', namespace: SYSTEM_NS }],
      }),
      'app/configmap.yaml': configMap('settings-v2', appNs),
    });
    const failed = await until(d, 'ClusterRoleBinding refused', async () => {
      const s = await d.sync(sync).catch(() => undefined);
      return s?.attemptedRevision === bad && s.lastError ? s : undefined;
    });
    expect(failed.lastError?.stage).toBe('validate');
    expect(failed.lastError?.message).toContain(`ClusterRoleBinding.rbac.authorization.k8s.io/${crb}: Forbidden`);
    expect(failed.lastError?.message).toContain(
      `User "system:serviceaccount:${SYSTEM_NS}:gitops-seal" cannot patch resource "clusterrolebindings"`,
    );
    expect(failed.appliedRevision).toBe(head);
    expect(await getJson(stack, ['clusterrolebinding', crb])).toBeUndefined();
    expect(await getJson(stack, ['configmap', 'settings-v2', '-n', appNs])).toBeUndefined();
  });

  it('tenant RBAC: confined to its namespace — decrypts with its age Secret and applies there; 403 for another namespace and for kube-system Secrets', async () => {
    const tenantNs = `deploy-tenant-${id}`;
    const otherNs = `deploy-other-${id}`;
    // deploy/tenant/ with team-a renamed, as its README says; the Deployment is covered above.
    const objs = kustomizeObjects(TENANT)
      .filter((o) => o.kind !== 'Deployment')
      .map(({ file: _file, ...o }) => o);
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }).replaceAll('team-a', tenantNs);
    await kubectl(stack, ['apply', '--server-side', '--field-manager=deploy-int-test', '-f', '-'], list);
    await kubectl(stack, ['create', 'namespace', otherNs]);
    cleanups.push(() => kubectl(stack, ['delete', 'namespace', tenantNs, otherNs, '--ignore-not-found', '--wait=false']));

    const kubeconfig = await saKubeconfig(stack, tenantNs, 'gitops-seal');
    const direct = await KubeClient.load({ kubeconfig });
    cleanups.push(async () => direct.close());
    const denied = await direct.request('/api/v1/namespaces/kube-system/secrets').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(KubeApiError);
    expect((denied as KubeApiError).status).toBe(403);

    // The age identity in the Secret the tenant config names; the daemon reads it through the API.
    const age = await generateAgeIdentity();
    await kubectl(
      stack,
      ['apply', '--server-side', '--field-manager=deploy-int-test', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gitops-seal-age', namespace: tenantNs },
        stringData: { 'identity.agekey': age.file },
      }),
    );
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: tenantNs },
      data: { password: Buffer.from(canary).toString('base64') },
    };
    const encrypted = await encryptText(
      stringify(secret),
      { format: 'yaml', source: 'db.enc.yaml', keys: { age: [age.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );

    const repo = await WorkRepo.create(stack, `deploy-tenant-${id}`);
    cleanups.push(async () => repo.remove());
    const head = await repo.commit({
      'configmap.yaml': configMap('settings', tenantNs),
      'deployment.yaml': deployment('web', tenantNs),
      'db.enc.yaml': encrypted,
    });
    const sync = `deploy-tenant-${id}`;
    // Neither allowedNamespaces nor targetNamespace (which would move every object into the
    // tenant's namespace) on purpose: the apiserver, not the daemon, is the barrier here.
    const d = await runDaemon(
      sync,
      {
        listen: '127.0.0.1:9797',
        sources: [{ ...gitSourceConfig(stack, 'apps', repo.url), interval: '2s' }],
        syncs: [
          {
            name: sync,
            source: 'apps',
            decryption: { age: { identitiesFrom: [{ secret: { namespace: tenantNs, name: 'gitops-seal-age', key: 'identity.agekey' } }] } },
          },
        ],
      },
      kubeconfig,
      tenantNs,
    );
    await until(d, 'tenant sync applied', async () => (await d.sync(sync).catch(() => undefined))?.appliedRevision === head);
    expect(await getJson(stack, ['deployment', 'web', '-n', tenantNs])).toBeDefined();
    const db = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', tenantNs]);
    expect(Buffer.from(db?.data.password ?? '', 'base64').toString()).toBe(canary);
    expect(
      (await getJson<{ data: { revision: string } }>(stack, ['configmap', `gitops-seal-inventory-${sync}`, '-n', tenantNs]))?.data.revision,
    ).toBe(head);
    expect((await getJson<{ spec: { holderIdentity: string } }>(stack, ['lease', sync, '-n', tenantNs]))?.spec.holderIdentity).toBe(
      `${sync}-pod`,
    );

    const bad = await repo.commit({ 'other.yaml': configMap('intruder', otherNs) });
    const failed = await until(d, 'other namespace refused', async () => {
      const s = await d.sync(sync).catch(() => undefined);
      return s?.attemptedRevision === bad && s.lastError ? s : undefined;
    });
    expect(failed.lastError?.stage).toBe('validate');
    expect(failed.lastError?.message).toContain(`ConfigMap/${otherNs}/intruder: Forbidden`);
    expect(failed.lastError?.message).toContain(
      `User "system:serviceaccount:${tenantNs}:gitops-seal" cannot patch resource "configmaps" in API group "" in the namespace "${otherNs}"`,
    );
    expect(failed.appliedRevision).toBe(head);
    expect(await getJson(stack, ['configmap', 'intruder', '-n', otherNs])).toBeUndefined();
    // The decrypted value stayed in memory: not in the daemon's log or /status.
    const seen = `${d.process.tail(1000)}\n${JSON.stringify(await d.status())}`;
    for (const form of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')])
      expect(seen).not.toContain(form);
  });
});
