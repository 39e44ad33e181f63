// More of the daemon on the real stack: CRD + CR in one commit, tenancy, restart with a
// persisted inventory, Vault transit with Kubernetes auth, two clusters, and --once.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText } from '../../keys/index.js';
import { startKube } from '../stack/kube.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon } from '../support/daemon-process.js';

const run = promisify(execFile);
const stack = inject('stack');
const CANARY = `canary-${Math.random().toString(36).slice(2)}-vault`;

const config = (syncs: object[], sources: object[]) => ({
  apiVersion: 'gitops-seal.io/v1alpha1',
  kind: 'DaemonConfig',
  spec: { sources, syncs },
});

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

describe('daemon: advanced', () => {
  let repo: WorkRepo;
  beforeAll(async () => {
    setGitEnv(stack);
    repo = await WorkRepo.create(stack, `e2e-adv-${Date.now()}`);
  });
  afterAll(() => repo?.remove());

  it('applies a CRD and its custom resource from one commit, fields intact', async () => {
    const sha = await repo.commit({
      'crd/crd.yaml': CRD,
      'crd/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: e2e-crd\n',
      'crd/widget.yaml':
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: e2e-crd\nspec:\n  size: 3\n  nested: {list: [1, "two", {three: 3}], flag: true}\n',
    });
    const d = await startDaemon(
      config(
        [{ name: 'crd', source: 'repo', path: 'crd', kubeconfig: { file: stack.kube.kubeconfig } }],
        [gitSourceConfig(stack, 'repo', repo.url)],
      ),
      { start: false },
    );
    try {
      expect(await d.daemon.once()).toEqual([]);
      expect(d.daemon.status.snapshot().syncs[0]?.appliedRevision).toBe(sha);
      const w = await getJson<{ spec: unknown }>(stack, ['widgets.example.com', 'w1', '-n', 'e2e-crd']);
      expect(w?.spec).toEqual({ size: 3, nested: { list: [1, 'two', { three: 3 }], flag: true } });
    } finally {
      await d.stop();
    }
  });

  it('refuses objects outside allowedNamespaces and cluster-scoped objects; applies nothing', async () => {
    await repo.commit({
      'tenant/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  namespace: e2e-tenant-a\ndata: {a: b}\n',
      'tenant/evil.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n  namespace: kube-system\ndata: {a: b}\n',
      'tenant/role.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: e2e-evil\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: mallory, apiGroup: rbac.authorization.k8s.io}]\n',
    });
    await kubectl(stack, ['create', 'namespace', 'e2e-tenant-a']).catch(() => '');
    const d = await startDaemon(
      config(
        [
          {
            name: 'tenant',
            source: 'repo',
            path: 'tenant',
            allowedNamespaces: ['e2e-tenant-a'],
            kubeconfig: { file: stack.kube.kubeconfig },
          },
        ],
        [gitSourceConfig(stack, 'repo', repo.url)],
      ),
      { start: false },
    );
    try {
      const errors = await d.daemon.once();
      expect(errors.length).toBe(1);
      expect(errors[0]?.message).toMatch(/tenancy/);
      expect(errors[0]?.message).toMatch(/ConfigMap.*kube-system.*evil.*not in allowedNamespaces/);
      expect(errors[0]?.message).toMatch(/ClusterRoleBinding.*e2e-evil.*cluster-scoped/);
      expect(await getJson(stack, ['configmap', 'ok', '-n', 'e2e-tenant-a'])).toBeUndefined();
      expect(await getJson(stack, ['clusterrolebinding', 'e2e-evil'])).toBeUndefined();
    } finally {
      await d.stop();
    }
  });

  it('keeps its inventory across restarts and prunes what left Git while it was down', async () => {
    await repo.commit({
      'inv/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata: {x: "1"}\n',
      'inv/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: default\ndata: {x: "1"}\n',
      'inv/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\ndata: {x: "1"}\n',
    });
    const cfg = config(
      [{ name: 'inv', source: 'repo', path: 'inv', kubeconfig: { file: stack.kube.kubeconfig } }],
      [gitSourceConfig(stack, 'repo', repo.url)],
    );
    const first = await startDaemon(cfg, { start: false });
    expect(await first.daemon.once()).toEqual([]);
    await first.stop();
    await repo.commit({ 'inv/c.yaml': null });
    // A new process: nothing in memory, only the inventory in the cluster.
    const second = await startDaemon(cfg, { start: false });
    try {
      expect(await second.daemon.once()).toEqual([]);
      expect(await getJson(stack, ['configmap', 'c', '-n', 'default'])).toBeUndefined();
      expect(await getJson(stack, ['configmap', 'a', '-n', 'default'])).toBeDefined();
      const inv = await getJson<{ data: { entries: string } }>(stack, [
        'configmap',
        'gitops-seal-inventory-inv',
        '-n',
        'gitops-seal-system',
      ]);
      expect(inv?.data.entries.split('\n').sort()).toEqual(['_ConfigMap_default_a_v1', '_ConfigMap_default_b_v1']);
    } finally {
      await second.stop();
    }
    // Emptying the path is refused by the prune guard: nothing is deleted.
    await repo.commit({ 'inv/a.yaml': null, 'inv/b.yaml': null, 'inv/keep.txt': 'not a manifest' });
    const third = await startDaemon(cfg, { start: false });
    try {
      const errors = await third.daemon.once();
      expect(errors[0]?.message).toMatch(/manifests|prune-guard/);
      expect(await getJson(stack, ['configmap', 'a', '-n', 'default'])).toBeDefined();
    } finally {
      await third.stop();
    }
  });

  it('decrypts a Vault-transit Secret with a Kubernetes-auth login, and serves two clusters', async () => {
    const v = stack.vault;
    expect(v.kubernetesAuth).not.toBeNull();
    const secret = await encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: vaulted\n  namespace: default\nstringData:\n  token: ${CANARY}\n`,
      {
        format: 'yaml',
        source: 'vault/secret.yaml',
        keys: { hcVaultTransit: [v.transitUri] },
        rule: { encryptedRegex: '^(data|stringData)$' },
      },
      { vault: { token: v.rootToken } },
    );
    await repo.commit({ 'vault/secret.yaml': secret });
    const saToken = (
      await kubectl(stack, [
        'create',
        'token',
        v.kubernetesAuth?.serviceAccount.name ?? '',
        '-n',
        v.kubernetesAuth?.serviceAccount.namespace ?? '',
      ])
    ).trim();
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-sa-'));
    writeFileSync(join(dir, 'token'), saToken, { mode: 0o600 });
    const second = await startKube({ nodes: 1, dir: join(stack.logDir, `kube-second-${Date.now()}`) });
    try {
      const decryption = {
        vault: {
          address: v.addr,
          transitMount: v.transitMount,
          auth: { kubernetes: { role: v.kubernetesAuth?.role, mount: v.kubernetesAuth?.mount, tokenFile: join(dir, 'token') } },
        },
      };
      const d = await startDaemon(
        config(
          [
            { name: 'vault-one', source: 'repo', path: 'vault', kubeconfig: { file: stack.kube.kubeconfig }, decryption },
            { name: 'vault-two', source: 'repo', path: 'vault', kubeconfig: { file: second.info.kubeconfig }, decryption },
          ],
          [gitSourceConfig(stack, 'repo', repo.url)],
        ),
        { start: false },
      );
      try {
        expect((await d.daemon.once()).map((e) => e.message)).toEqual([]);
        for (const kc of [stack.kube.kubeconfig, second.info.kubeconfig]) {
          const { stdout } = await run(stack.bins.kubectl, [
            `--kubeconfig=${kc}`,
            'get',
            'secret',
            'vaulted',
            '-n',
            'default',
            '-o',
            'jsonpath={.data.token}',
          ]);
          expect(Buffer.from(stdout, 'base64').toString()).toBe(CANARY);
        }
        expect(d.logs.text).not.toContain(CANARY);
        expect(JSON.stringify(d.daemon.status.snapshot())).not.toContain(CANARY);
      } finally {
        await d.stop();
      }
    } finally {
      await second.stop();
    }
  });

  it('gitops-seal-daemon --once exits 0 on success and 1 with the cause on a bad revision', async () => {
    await repo.commit({ 'once/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: once\n  namespace: default\ndata: {a: b}\n' });
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-once-'));
    const file = join(dir, 'daemon.yaml');
    writeFileSync(
      file,
      stringify(
        config(
          [{ name: 'once', source: 'repo', path: 'once', kubeconfig: { file: stack.kube.kubeconfig } }],
          [gitSourceConfig(stack, 'repo', repo.url)],
        ),
      ),
    );
    const env = { ...process.env, GITOPS_SEAL_DATA: join(dir, 'data') };
    const ok = await run('npx', ['tsx', 'daemon/main.ts', '--config', file, '--once'], { env, cwd: process.cwd() });
    expect(ok.stderr).not.toMatch(/gitops-seal-daemon:/);
    await repo.commit({ 'once/bad.yaml': 'kind: [' });
    const bad = await run('npx', ['tsx', 'daemon/main.ts', '--config', file, '--once'], { env, cwd: process.cwd() }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/once\/bad\.yaml/);
  });
});
