// Issue 23 on the real stack: object names with `_`, `.`, `:` and the longest legal names go
// through apply, change and prune; an inventory written by release 414b303 (fixture) is read and
// pruned after the upgrade; a corrupted inventory entry is reported and does not wedge the
// sync; an invalid name is refused at the dry-run with the apiserver's reason and the file; a
// 10 MiB webhook gets 413.
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ResourceManager } from '../../daemon/apply/index.js';
import { KubeClient } from '../../daemon/kube/client.js';
import type { KubeObject } from '../../daemon/kube/types.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const ID = Date.now().toString(36);
const HOOK_SECRET = 'i23-hook-secret';
const SYNC = `i23-names-${ID}`;
// The longest namespace (DNS-1123 label, 63) and ConfigMap name (DNS-1123 subdomain, 253).
const NS = `i23-${ID}-`.padEnd(62, 'n') + '9';
const CM253 = ['a', 'b', 'c'].map((c) => c.repeat(63)).join('.') + '.' + 'd'.repeat(61);
// RBAC names are path segments: anything but "/" and "%". One with every separator, one long.
const TRICKY_ROLE = 'a.b:c_d';
const LONG_ROLE = `long_${'x.y:z_'.repeat(41)}end`.slice(0, 253);
const CLUSTER_ROLE = `i23:${ID}:view_all.x`;
// Path-segment names have no length limit in apimachinery (the apiserver took 20,000
// characters), but daemon/manifests refuses names over 253, the DNS-1123 subdomain maximum.
const LONG_CLUSTER_ROLE = `i23:${ID}:${'long_name.with:separators_'.repeat(10)}`.slice(0, 253);
const LEGACY_NS = 'i23-legacy';

const rbac = (kind: string, name: string, extra: object, namespace?: string): string =>
  stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra });
const role = (name: string, verbs: string[], namespace = NS): string =>
  rbac('Role', name, { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }] }, namespace);
const cm = (name: string, namespace = NS): string =>
  stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { k: 'v' } });
const ns = (name: string): string => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const sa = (name: string, namespace: string): string =>
  stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
const binding = (name: string, roleName: string, namespace: string): string =>
  rbac(
    'RoleBinding',
    name,
    {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace }],
    },
    namespace,
  );

type Inv = { data: { entries: string; pending?: string; unparseable?: string } };
const inventory = async (sync: string): Promise<Inv | undefined> =>
  getJson<Inv>(stack, ['configmap', `gitops-seal-inventory-${sync}`, '-n', 'gitops-seal-system']);
const exists = async (args: string[]): Promise<boolean> => (await getJson(stack, args)) !== undefined;

describe('inventory: names Kubernetes allows, old inventories, bad entries', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  const status = (sync: string) => d.daemon.status.snapshot().syncs.find((s) => s.name === sync);
  const push = async (files: Record<string, string | null>, message: string): Promise<string> => {
    const sha = await repo.commit(files, message);
    await d.daemon.sources.get('repo')?.trigger();
    return sha;
  };
  const appliedAt = async (sync: string, sha: string): Promise<void> => {
    await eventually(
      `${sync} at ${sha.slice(0, 8)}`,
      async () => {
        const s = status(sync);
        if (s?.attemptedRevision === sha && s.lastError) throw new Error(`${s.lastError.stage}: ${s.lastError.message}`);
        return s?.appliedRevision === sha;
      },
      60_000,
    );
  };

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.I23_HOOK_SECRET = HOOK_SECRET;
    // Left by an earlier run: the fixture's names are fixed.
    await kubectl(stack, ['delete', 'namespace', LEGACY_NS, '--ignore-not-found', '--timeout=90s']);
    await kubectl(stack, ['delete', 'clusterrole', `${LEGACY_NS}:view_all`, '--ignore-not-found']);
    await kubectl(stack, [
      'delete',
      'configmap',
      `gitops-seal-inventory-${LEGACY_NS}`,
      '-n',
      'gitops-seal-system',
      '--ignore-not-found',
    ]).catch(() => '');

    // What release 414b303 left in a cluster: its objects, labelled by their sync, and its inventory.
    const client = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    try {
      const o = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}): KubeObject => ({
        apiVersion,
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
        ...extra,
      });
      const rules = { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] };
      await new ResourceManager(client, { syncName: LEGACY_NS }).apply([
        o('v1', 'Namespace', LEGACY_NS),
        ...['keep', 'gone', 'half-applied'].map((n) => o('v1', 'ConfigMap', n, LEGACY_NS)),
        o('v1', 'ServiceAccount', 'robot', LEGACY_NS),
        o('rbac.authorization.k8s.io/v1', 'Role', 'reader', LEGACY_NS, rules),
        o('rbac.authorization.k8s.io/v1', 'Role', 'app_reader', LEGACY_NS, rules),
        o('rbac.authorization.k8s.io/v1', 'RoleBinding', 'system:robot.read', LEGACY_NS, {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: LEGACY_NS }],
        }),
        o('rbac.authorization.k8s.io/v1', 'ClusterRole', `${LEGACY_NS}:view_all`, undefined, rules),
      ]);
    } finally {
      client.close();
    }
    await kubectl(stack, ['create', 'namespace', 'gitops-seal-system']).catch(() => ''); // exists unless this runs first
    await kubectl(
      stack,
      ['apply', '--server-side', '--field-manager=gitops-seal', '-f', '-'],
      readFileSync(new URL('../../daemon/inventory/testdata/inventory-414b303.json', import.meta.url), 'utf8'),
    );

    repo = await WorkRepo.create(stack, `i23-names-${ID}`);
    await repo.commit(
      {
        'names/ns.yaml': ns(NS),
        'names/sa.yaml': sa('robot', NS),
        'names/cm253.yaml': cm(CM253),
        'names/plain.yaml': ['c1', 'c2', 'c3', 'c4'].map((n) => cm(n)).join('---\n'),
        'names/app_reader.yaml': role('app_reader', ['get']),
        'names/tricky.yaml': role(TRICKY_ROLE, ['get']),
        'names/long.yaml': role(LONG_ROLE, ['get']),
        'names/binding.yaml': binding('system:robot_app.reader', 'app_reader', NS),
        'names/clusterrole.yaml': rbac('ClusterRole', CLUSTER_ROLE, {
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }],
        }),
        'names/long-cluster-role.yaml': rbac('ClusterRole', LONG_CLUSTER_ROLE, {
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }],
        }),
        // The revision after the upgrade: gone, app_reader, the ClusterRole and the pending
        // half-applied ConfigMap left Git.
        'legacy/ns.yaml': ns(LEGACY_NS),
        'legacy/keep.yaml': cm('keep', LEGACY_NS),
        'legacy/sa.yaml': sa('robot', LEGACY_NS),
        'legacy/reader.yaml': role('reader', ['get'], LEGACY_NS),
        'legacy/binding.yaml': binding('system:robot.read', 'reader', LEGACY_NS),
      },
      'initial',
    );
    const sync = (name: string, path: string) => ({ name, source: 'repo', path, kubeconfig: { file: stack.kube.kubeconfig } });
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { webhook: { type: 'github', secretFrom: { env: 'I23_HOOK_SECRET' } } })],
        syncs: [sync(SYNC, 'names'), sync(LEGACY_NS, 'legacy')],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
    for (const args of [
      ['namespace', NS],
      ['namespace', LEGACY_NS],
      ['clusterrole', CLUSTER_ROLE],
      ['clusterrole', LONG_CLUSTER_ROLE],
      ['clusterrole', `${LEGACY_NS}:view_all`],
    ]) {
      await kubectl(stack, ['delete', ...args, '--ignore-not-found', '--wait=false']).catch(() => '');
    }
    for (const s of [SYNC, LEGACY_NS])
      await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
        () => '',
      );
  });

  it('reads an inventory written by release 414b303 and prunes exactly what left Git', async () => {
    await appliedAt(LEGACY_NS, await repo.head());
    for (const args of [
      ['configmap', 'gone', '-n', LEGACY_NS],
      ['configmap', 'half-applied', '-n', LEGACY_NS],
      ['role', 'app_reader', '-n', LEGACY_NS],
      ['clusterrole', `${LEGACY_NS}:view_all`],
    ]) {
      await eventually(`${args.join(' ')} pruned`, async () => !(await exists(args)));
    }
    for (const args of [
      ['configmap', 'keep', '-n', LEGACY_NS],
      ['serviceaccount', 'robot', '-n', LEGACY_NS],
      ['role', 'reader', '-n', LEGACY_NS],
      ['rolebinding', 'system:robot.read', '-n', LEGACY_NS],
    ]) {
      expect(await exists(args), args.join(' ')).toBe(true);
    }
    const inv = await inventory(LEGACY_NS);
    expect(inv?.data.entries.split('\n')).toEqual([
      `_ConfigMap_${LEGACY_NS}_keep_v1`,
      `_Namespace__${LEGACY_NS}_v1`,
      `_ServiceAccount_${LEGACY_NS}_robot_v1`,
      `rbac.authorization.k8s.io_RoleBinding_${LEGACY_NS}_system:robot.read_v1`,
      `rbac.authorization.k8s.io_Role_${LEGACY_NS}_reader_v1`,
    ]);
    expect(inv?.data.pending).toBeUndefined();
    expect(inv?.data.unparseable).toBeUndefined();
  });

  it('applies, changes and prunes objects whose names hold "_", ".", ":" and the longest legal names', async () => {
    const head = await repo.head();
    await appliedAt(SYNC, head);
    expect(await exists(['configmap', CM253, '-n', NS])).toBe(true);
    for (const r of ['app_reader', TRICKY_ROLE, LONG_ROLE]) expect(await exists(['role', r, '-n', NS]), r).toBe(true);
    expect(await exists(['rolebinding', 'system:robot_app.reader', '-n', NS])).toBe(true);
    expect(await exists(['clusterrole', CLUSTER_ROLE])).toBe(true);
    expect(await exists(['clusterrole', LONG_CLUSTER_ROLE])).toBe(true);
    const entries = (await inventory(SYNC))?.data.entries.split('\n') ?? [];
    expect(entries).toContain(`rbac.authorization.k8s.io_Role_${NS}_app%5Freader_v1`);
    expect(entries).toContain(`rbac.authorization.k8s.io_ClusterRole__i23:${ID}:view%5Fall.x_v1`);
    expect(entries).toHaveLength(13);

    // Change: a new revision loads the inventory holding these entries and applies on top.
    const changed = await push(
      {
        'names/app_reader.yaml': role('app_reader', ['get', 'list']),
        'names/long.yaml': role(LONG_ROLE, ['get', 'watch']),
        'names/long-cluster-role.yaml': rbac('ClusterRole', LONG_CLUSTER_ROLE, {
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
        }),
      },
      'change',
    );
    await appliedAt(SYNC, changed);
    const live = await getJson<{ rules: { verbs: string[] }[] }>(stack, ['role', 'app_reader', '-n', NS]);
    expect(live?.rules[0]?.verbs).toEqual(['get', 'list']);
    expect((await getJson<{ rules: { verbs: string[] }[] }>(stack, ['role', LONG_ROLE, '-n', NS]))?.rules[0]?.verbs).toEqual([
      'get',
      'watch',
    ]);
    expect((await getJson<{ rules: { verbs: string[] }[] }>(stack, ['clusterrole', LONG_CLUSTER_ROLE]))?.rules[0]?.verbs).toEqual(['list']);

    // Prune: 6 of 13 objects leave Git.
    const pruned = await push(
      {
        'names/app_reader.yaml': null,
        'names/long.yaml': null,
        'names/binding.yaml': null,
        'names/clusterrole.yaml': null,
        'names/cm253.yaml': null,
        'names/long-cluster-role.yaml': null,
      },
      'prune',
    );
    await appliedAt(SYNC, pruned);
    for (const args of [
      ['role', 'app_reader', '-n', NS],
      ['role', LONG_ROLE, '-n', NS],
      ['rolebinding', 'system:robot_app.reader', '-n', NS],
      ['clusterrole', CLUSTER_ROLE],
      ['configmap', CM253, '-n', NS],
      ['clusterrole', LONG_CLUSTER_ROLE],
    ]) {
      await eventually(`${args[1]?.slice(0, 40)} pruned`, async () => !(await exists(args)));
    }
    expect(await exists(['role', TRICKY_ROLE, '-n', NS])).toBe(true);
    expect((await inventory(SYNC))?.data.entries.split('\n')).toHaveLength(7);
  });

  it("refuses a ConfigMap named Not_A_Valid_Name at the dry-run, with the apiserver's reason, the file and the object", async () => {
    const good = status(SYNC)?.appliedRevision;
    const bad = await push({ 'names/bad-name.yaml': cm('Not_A_Valid_Name'), 'names/plain.yaml': cm('c1') }, 'invalid name');
    await eventually('invalid name refused', async () => status(SYNC)?.attemptedRevision === bad && status(SYNC)?.lastError !== undefined);
    const err = status(SYNC)?.lastError;
    expect(err?.stage).toBe('validate');
    expect(err?.message).toContain(`names/bad-name.yaml: ConfigMap/${NS}/Not_A_Valid_Name: Invalid: `);
    expect(err?.message).toContain('metadata.name: Invalid value: "Not_A_Valid_Name": a lowercase RFC 1123 subdomain must consist of');
    expect(status(SYNC)?.appliedRevision).toBe(good);
    // Refused: nothing applied, nothing pruned.
    expect(await exists(['configmap', 'c2', '-n', NS])).toBe(true);
    await repo.git(['reset', '--hard', 'HEAD~1']);
    await repo.git(['push', '--quiet', '--force', 'origin', 'HEAD:main']);
  });

  it('reports an unreadable inventory entry, keeps it, prunes nothing for it, and keeps syncing', async () => {
    // A ConfigMap of ours that Git does not declare, named by a corrupted line only: a guess
    // would delete it.
    await kubectl(stack, ['create', 'configmap', 'orphan', '-n', NS]);
    await kubectl(stack, ['label', 'configmap', 'orphan', '-n', NS, `gitops-seal.io/sync=${SYNC}`]);
    const inv = await inventory(SYNC);
    const corrupt = ['garbage', `_ConfigMap_${NS}_orph%an_v1`, `rbac.authorization.k8s.io_Role_${NS}`];
    await kubectl(stack, [
      'patch',
      'configmap',
      `gitops-seal-inventory-${SYNC}`,
      '-n',
      'gitops-seal-system',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { entries: `${inv?.data.entries ?? ''}\n${corrupt.join('\n')}` } }),
    ]);

    const next = await push({ 'names/plain.yaml': ['c1', 'c2', 'c3'].map((n) => cm(n)).join('---\n') }, 'drop c4');
    await appliedAt(SYNC, next);
    await eventually('c4 pruned', async () => !(await exists(['configmap', 'c4', '-n', NS])));
    expect(await exists(['configmap', 'orphan', '-n', NS])).toBe(true);
    const warnings = status(SYNC)?.warnings ?? [];
    for (const line of corrupt)
      expect(
        warnings.some((w) => w.includes(JSON.stringify(line))),
        line,
      ).toBe(true);
    expect(warnings.join('\n')).toContain(`ConfigMap gitops-seal-system/gitops-seal-inventory-${SYNC}: cannot read inventory entry`);
    expect(d.logs.lines().some((l) => l.level === 40 && String(l.msg).includes('"garbage"'))).toBe(true);
    const after = await inventory(SYNC);
    expect(after?.data.unparseable?.split('\n')).toEqual([...corrupt].sort());
    expect(after?.data.entries.split('\n')).not.toContain('garbage');

    // And the next revision still applies and prunes; the lines stay set aside.
    const again = await push({ 'names/plain.yaml': ['c1', 'c2'].map((n) => cm(n)).join('---\n') }, 'drop c3');
    await appliedAt(SYNC, again);
    await eventually('c3 pruned', async () => !(await exists(['configmap', 'c3', '-n', NS])));
    expect((await inventory(SYNC))?.data.unparseable?.split('\n')).toHaveLength(3);
    expect(await exists(['configmap', 'orphan', '-n', NS])).toBe(true);
  });

  it('answers a 10 MiB webhook with 413', async () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 'x');
    const sig = 'sha256=' + createHmac('sha256', HOOK_SECRET).update(body).digest('hex');
    const res = await fetch(`${d.url}/hooks/repo`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': sig, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'body too large (limit 1048576 bytes)' });
  });
});
