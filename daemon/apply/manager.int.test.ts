// ResourceManager on a real kube-apiserver (+ controller-manager, scheduler, kwok nodes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../test/support/kube-cluster.js';
import type { KubeObject } from '../kube/types.js';
import { ApplyError, WaitError } from './errors.js';
import { ResourceManager } from './manager.js';
import { formatDiff } from './manager_diff.js';
import { PRUNE_ANNOTATION, SYNC_LABEL } from './ownership.js';

let kube: TestCluster;
let rm: ResourceManager;

beforeAll(async () => {
  kube = await startTestCluster();
  rm = new ResourceManager(kube.client, { fieldManager: 'gitops-seal', syncName: 'it' });
});
afterAll(async () => {
  await kube?.stop();
});

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, namespace: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
const get = (path: string) => kube.client.request<KubeObject>(path);

describe('apply', () => {
  it('creates with SSA (managedFields manager gitops-seal), then reports unchanged, then configured', async () => {
    const objs = [ns('ssa'), cm('a', 'ssa', { k: 'v1' })];
    const first = await rm.apply(objs);
    expect(first.entries.map((e) => [e.subject, e.action])).toEqual([
      ['Namespace/ssa', 'created'],
      ['ConfigMap/ssa/a', 'created'],
    ]);
    const live = await get('/api/v1/namespaces/ssa/configmaps/a');
    const mine = live.metadata.managedFields?.find((f) => f.manager === 'gitops-seal');
    expect(mine?.operation).toBe('Apply');
    expect(mine?.fieldsV1).toMatchObject({ 'f:data': { 'f:k': {} } });
    expect(live.metadata.labels?.[SYNC_LABEL]).toBe('it');

    const again = await rm.apply(objs);
    expect(again.entries.map((e) => e.action)).toEqual(['unchanged', 'unchanged']);
    expect((await get('/api/v1/namespaces/ssa/configmaps/a')).metadata.resourceVersion).toBe(live.metadata.resourceVersion);

    const changed = await rm.apply([ns('ssa'), cm('a', 'ssa', { k: 'v2' })]);
    expect(changed.entries.map((e) => e.action)).toEqual(['unchanged', 'configured']);
    const dry = await rm.apply([cm('a', 'ssa', { k: 'v3' })], { dryRun: true });
    expect(dry.entries[0]?.action).toBe('configured');
    expect((dry.entries[0]?.object?.data as Record<string, string>).k).toBe('v3');
    expect(((await get('/api/v1/namespaces/ssa/configmaps/a')).data as Record<string, string>).k).toBe('v2');
    const dryNoop = await rm.apply([cm('a', 'ssa', { k: 'v2' })], { dryRun: true });
    expect(dryNoop.entries[0]?.action).toBe('unchanged');
  });

  it('a write asks for metadata only: the answer holds no Secret data, yet carries what classify needs', async () => {
    await rm.apply([ns('meta-only')]);
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'meta-only' },
      stringData: { token: 'canary-meta-only-7f3a' },
    };
    const loc = await rm.locate(secret);
    const res = await rm.serverSideApply(secret, loc, { metadataOnly: true });
    expect(res.created).toBe(true);
    expect(res.object.kind).toBe('PartialObjectMetadata');
    expect(JSON.stringify(res.object)).not.toContain('canary-meta-only');
    expect(JSON.stringify(res.object)).not.toContain(Buffer.from('canary-meta-only-7f3a').toString('base64'));
    expect(res.object.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(res.object.metadata.managedFields?.some((f) => f.manager === 'gitops-seal')).toBe(true);
    // The apply pass reads only metadata answers and still tells created / unchanged / configured.
    const cmA = cm('m', 'meta-only', { k: '1' });
    expect((await rm.apply([cmA])).entries[0]?.action).toBe('created');
    expect((await rm.apply([cmA])).entries[0]?.action).toBe('unchanged');
    expect((await rm.apply([cm('m', 'meta-only', { k: '2' })])).entries[0]?.action).toBe('configured');
    expect(((await get('/api/v1/namespaces/meta-only/configmaps/m')).data as Record<string, string>).k).toBe('2');
  });

  it('refuses unknown fields and wrong types with the default fieldValidation (Ignore): apply checks them by schema', async () => {
    await rm.apply([ns('fv')]);
    const bad: KubeObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'top', namespace: 'fv' }, data: { a: 'b' }, bogus: 1 },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meta', namespace: 'fv', bogus: 1 } as KubeObject['metadata'] },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'type', namespace: 'fv' }, data: { a: 1 } },
    ];
    const r = await rm.validate(bad);
    expect(r.ok).toBe(false);
    expect(r.failures.map((f) => [f.subject, f.message.match(/: (\.\S+: .*)$/)?.[1]])).toEqual([
      ['ConfigMap/fv/top', '.bogus: field not declared in schema'],
      ['ConfigMap/fv/meta', '.metadata.bogus: field not declared in schema'],
      ['ConfigMap/fv/type', expect.stringMatching(/^\.data\.a: expected string/)],
    ]);
    await expect(rm.apply(bad)).rejects.toBeInstanceOf(ApplyError);
    expect(await kube.client.getOptional('/api/v1/namespaces/fv/configmaps/top')).toBeUndefined();
  });

  it('applies a CRD and its CRs in one call; a custom `Deployment` of example.com arrives intact', async () => {
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'deployments.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'deployments', singular: 'deployment', kind: 'Deployment', listKind: 'DeploymentList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const spec = {
      replicas: 'not-a-number-here-and-fine',
      nested: { deep: [{ a: 1, b: [true, null, 'x'] }], 'weird.key/with~chars': { '': 0 } },
      strategy: { kind: 'Unknown', fields: ['whatever'] },
    };
    const cr: KubeObject = { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'custom', namespace: 'crd-ns' }, spec };
    const clusterRole: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'it-reader' },
      rules: [{ apiGroups: ['example.com'], resources: ['deployments'], verbs: ['get', 'list'] }],
    };
    const builtin: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'custom', namespace: 'crd-ns' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'custom' } },
        template: { metadata: { labels: { app: 'custom' } }, spec: { containers: [{ name: 'c', image: 'example/fake:1' }] } },
      },
    };
    const cs = await rm.apply([cr, builtin, clusterRole, ns('crd-ns'), crd]);
    expect(cs.entries.map((e) => `${e.subject} ${e.action}`)).toEqual([
      'CustomResourceDefinition.apiextensions.k8s.io/deployments.example.com created',
      'Namespace/crd-ns created',
      'ClusterRole.rbac.authorization.k8s.io/it-reader created',
      'Deployment.apps/crd-ns/custom created',
      'Deployment.example.com/crd-ns/custom created',
    ]);
    const back = await get('/apis/example.com/v1/namespaces/crd-ns/deployments/custom');
    expect(back.spec).toStrictEqual(spec);
    const apps = await get('/apis/apps/v1/namespaces/crd-ns/deployments/custom');
    expect((apps.spec as { replicas: number }).replicas).toBe(1);
    // The deployment controller writes the Deployment right after creation; within the
    // 5 s managedFields-time window such a write is reported as `configured` on purpose. Let the
    // rollout settle and the window pass, so the re-apply below meets a quiet object.
    await rm.wait([builtin], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 5_500));
    expect((await rm.apply([cr, builtin, clusterRole, ns('crd-ns'), crd])).entries.every((e) => e.action === 'unchanged')).toBe(true);
  });

  it('reports per-object errors naming the object and stops before later stages', async () => {
    const bad: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad', namespace: 'errs' },
      spec: { replicas: 'three' },
    };
    let err: unknown;
    try {
      await rm.apply([ns('errs'), bad, cm('ok', 'errs', { a: 'b' })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplyError);
    const ae = err as ApplyError;
    expect(ae.stage).toBe('namespaced');
    expect(ae.failures.map((f) => f.subject)).toEqual(['Deployment.apps/errs/bad']);
    expect(ae.failures[0]?.message).toMatch(/replicas/);
    expect(ae.changeSet.entries.map((e) => e.subject)).toContain('ConfigMap/errs/ok');
    const nomatch = await rm
      .apply([{ apiVersion: 'nope.example.org/v1', kind: 'Ghost', metadata: { name: 'g' } }])
      .catch((e: unknown) => e);
    expect((nomatch as ApplyError).failures[0]?.reason).toBe('NoMatch');
  });
});

describe('validate (dry-run of a whole revision)', () => {
  it('finds an invalid object with a clear error naming it, and writes nothing', async () => {
    const res = await rm.validate([
      ns('val-a'),
      cm('good', 'default', { a: 'b' }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed', namespace: 'default' }, data: { n: 42 } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default' }, spec: { ports: [{ port: 'eighty' }] } },
    ]);
    expect(res.ok).toBe(false);
    expect(res.failures.map((f) => f.subject).sort()).toEqual(['ConfigMap/default/typed', 'Service/default/svc']);
    for (const f of res.failures) expect(f.message.length).toBeGreaterThan(10);
    expect(await kube.client.getOptional('/api/v1/namespaces/val-a')).toBeUndefined();
    expect(await kube.client.getOptional('/api/v1/namespaces/default/configmaps/good')).toBeUndefined();
  });

  it('checks objects in a new namespace and CRs of a new CRD by applying those prerequisites first', async () => {
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.val.example.com' },
      spec: {
        group: 'val.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
            },
          },
        ],
      },
    };
    const good = await rm.validate([
      crd,
      ns('val-b'),
      cm('c', 'val-b', { a: 'b' }),
      { apiVersion: 'val.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'val-b' }, spec: { size: 3 } },
    ]);
    expect(good.failures).toEqual([]);
    expect(good.ok).toBe(true);
    expect(good.checked).toBe(4);
    expect(good.prerequisites?.entries.map((e) => e.subject)).toEqual([
      'CustomResourceDefinition.apiextensions.k8s.io/widgets.val.example.com',
      'Namespace/val-b',
    ]);
    expect(await kube.client.getOptional('/api/v1/namespaces/val-b/configmaps/c')).toBeUndefined();

    const bad = await rm.validate([
      crd,
      ns('val-c'),
      { apiVersion: 'val.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'val-c' }, spec: { size: 'big' } },
    ]);
    expect(bad.ok).toBe(false);
    expect(bad.failures.map((f) => f.subject)).toEqual(['Widget.val.example.com/val-c/w']);
    expect(bad.failures[0]?.message).toMatch(/size/);
  });
});

describe('diff', () => {
  it('shows a changed Secret key without its value, and other fields with values', async () => {
    const secret = (pw: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default' },
      stringData: { password: pw, user: 'admin' },
    });
    await rm.apply([secret('s3cr3t-old-value'), cm('cfg', 'default', { level: 'info' })]);
    const diffs = await rm.diff([secret('s3cr3t-new-value'), cm('cfg', 'default', { level: 'debug' }), cm('fresh', 'default', {})]);
    const text = diffs.flatMap(formatDiff).join('\n');
    expect(text).toContain('Secret/default/db: data.password: *** (changed)');
    expect(text).not.toContain('user');
    expect(text).toContain('ConfigMap/default/cfg: data.level: "info" → "debug"');
    expect(text).toContain('ConfigMap/default/fresh: created');
    const all = JSON.stringify(diffs);
    for (const v of ['s3cr3t-new-value', 's3cr3t-old-value']) {
      expect(all).not.toContain(v);
      expect(all).not.toContain(Buffer.from(v).toString('base64'));
    }
    expect((await rm.diff([secret('s3cr3t-old-value')]))[0]?.action).toBe('none');
  });
});

describe('delete', () => {
  it('deletes ours, skips foreign and prune-disabled objects, 404 is already gone', async () => {
    await rm.apply([
      ns('del'),
      cm('ours', 'del', {}),
      {
        ...cm('keep', 'del', {}),
        metadata: { name: 'keep', namespace: 'del', annotations: { [PRUNE_ANNOTATION]: 'disabled' } },
      },
    ]);
    await kube.client.request('/api/v1/namespaces/del/configmaps', { method: 'POST', body: cm('foreign', 'del', {}) });
    const cs = await rm.delete([cm('ours', 'del', {}), cm('keep', 'del', {}), cm('foreign', 'del', {}), cm('never', 'del', {})]);
    expect(cs.entries.map((e) => [e.subject, e.action, e.reason])).toEqual([
      ['ConfigMap/del/ours', 'deleted', undefined],
      ['ConfigMap/del/keep', 'skipped', 'prune-disabled'],
      ['ConfigMap/del/foreign', 'skipped', 'not-owned'],
      ['ConfigMap/del/never', 'skipped', 'not-found'],
    ]);
    expect(await kube.client.getOptional('/api/v1/namespaces/del/configmaps/ours')).toBeUndefined();
    expect(await kube.client.getOptional('/api/v1/namespaces/del/configmaps/keep')).toBeDefined();
    expect(await kube.client.getOptional('/api/v1/namespaces/del/configmaps/foreign')).toBeDefined();
  });
});

describe('wait', () => {
  it('a Deployment becomes Ready on kwok nodes and a Job completes', async () => {
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'work' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'example/web:1' }] } },
      },
    };
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: 'work' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'example/job:1' }] } } },
    };
    await rm.apply([ns('work'), deploy, job]);
    const t0 = Date.now();
    const states = await rm.wait([deploy, job], { timeoutMs: 90_000 });
    expect(states.map((s) => [s.subject, s.health.status])).toEqual([
      ['Deployment.apps/work/web', 'Ready'],
      ['Job.batch/work/once', 'Ready'],
    ]);
    console.log(`[wait] Deployment(2 replicas)+Job ready in ${Date.now() - t0} ms`);
  });

  it('times out with the pending objects and their health', async () => {
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nowhere', namespace: 'work' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'nowhere' } },
        template: {
          metadata: { labels: { app: 'nowhere' } },
          spec: { nodeSelector: { absent: 'label' }, containers: [{ name: 'c', image: 'x' }] },
        },
      },
    };
    await rm.apply([deploy]);
    const err = await rm.wait([deploy], { timeoutMs: 3_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitError);
    expect((err as WaitError).reason).toBe('timeout');
    expect((err as WaitError).pending[0]?.health.status).toBe('Progressing');
    expect((err as WaitError).message).toContain('Deployment.apps/work/nowhere');
  });

  it('fails fast as degraded when a Deployment exceeds its progress deadline', async () => {
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck', namespace: 'work' },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 1,
        selector: { matchLabels: { app: 'stuck' } },
        template: {
          metadata: { labels: { app: 'stuck' } },
          spec: { nodeSelector: { absent: 'label' }, containers: [{ name: 'c', image: 'x' }] },
        },
      },
    };
    await rm.apply([deploy]);
    const err = await rm.wait([deploy], { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitError);
    expect((err as WaitError).reason).toBe('degraded');
    expect((err as WaitError).elapsedMs).toBeLessThan(60_000);
    expect((err as WaitError).pending[0]?.health.message).toMatch(/progress deadline/);
  });
});
