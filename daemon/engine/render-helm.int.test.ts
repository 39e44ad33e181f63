// Smoke of a Helm sync (chart in Git, a plain and a SOPS-encrypted values file) through the
// engine on the stack's real kube-apiserver, with the real helm: .Capabilities from the cluster,
// the release's objects in the release namespace, the pre-install hook applied in its own phase
// before them, the test hook skipped and reported, the revision identity commit + chart; then a
// revision the tenancy rules refuse and one whose chart fails, with nothing applied or pruned.
// Fixtures: testdata/helm (README.md there).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity, type KeyContext } from '../../keys/index.js';
import { makeCanary } from '../../test/reliability/canary.js';
import { findRenderers } from '../../test/stack/tools.js';
import { testRepo, type TestRepo } from '../../test/support/git-revision.js';
import { ResourceManager } from '../apply/index.js';
import { InventoryStore } from '../inventory/inventory.js';
import { KubeClient } from '../kube/client.js';
import { RevisionError } from './errors.js';
import { loadRevision } from './load.js';
import { reconcile, type SyncDeps } from './reconcile.js';
import { clusterCapabilities, newRenderCaches } from './stages/render-context.js';
import type { SyncSettings } from './settings.js';

const stack = inject('stack');
const NS = `render-helm-${Date.now().toString(36)}`;
const CANARY = makeCanary('engine-helm');
let client: KubeClient;
let repo: TestRepo;
let keys: KeyContext;
let deps: SyncDeps;

const settings: SyncSettings = {
  name: NS,
  path: '',
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 30_000,
  maxPruneRatio: 1,
  allowEmpty: false,
  allowedNamespaces: [NS],
  helm: {
    chart: { git: { path: 'charts/hello' } },
    release: { name: 'hello', namespace: NS },
    valuesFiles: ['clusters/staging/values.yaml', 'clusters/staging/secrets.sops.yaml'],
    includeCrds: true,
  },
};

async function get(kind: 'configmaps' | 'secrets' | 'pods', name: string): Promise<Record<string, unknown> | undefined> {
  return client.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${NS}/${kind}/${name}`);
}

beforeAll(async () => {
  client = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  await client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  const id = await generateAgeIdentity();
  keys = { ageIdentities: [id.identity] };
  repo = await testRepo();
  repo.copy(new URL('./testdata/helm/charts', import.meta.url).pathname, 'charts');
  repo.copy(new URL('./testdata/helm/clusters', import.meta.url).pathname, 'clusters');
  repo.write(
    'clusters/staging/secrets.sops.yaml',
    await encryptText(
      `db:\n  password: ${CANARY}\n`,
      { format: 'yaml', source: 'clusters/staging/secrets.sops.yaml', keys: { age: [id.recipient] } },
      {},
    ),
  );
  const bins = findRenderers();
  const manager = new ResourceManager(client, { syncName: NS, defaultNamespace: NS });
  const inventory = new InventoryStore(client, { namespace: NS });
  deps = {
    settings,
    manager,
    inventory,
    keys,
    render: {
      renderers: { kustomize: bins.kustomize, helm: bins.helm },
      caches: newRenderCaches(),
      capabilities: () => clusterCapabilities(client, manager.mapper),
      isUpgrade: async () => ((await inventory.load(NS))?.entries.length ?? 0) > 0,
    },
  };
});

afterAll(async () => {
  await client?.request(`/api/v1/namespaces/${NS}`, { method: 'DELETE' }).catch(() => undefined);
  client?.close();
  repo?.remove();
});

describe('a Helm sync on the real apiserver', () => {
  it('applies the chart with its SOPS values decrypted in memory, hooks by phase, identity commit + chart', async () => {
    const rev = await repo.commit('chart');
    const out = await reconcile(deps, rev);
    expect(out.revision).toMatch(new RegExp(`^${rev.commit}\\+[0-9a-f]{12}$`));
    expect(out.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      `ConfigMap/${NS}/hello-cfg`,
      `ConfigMap/${NS}/hello-pre`,
      `Secret/${NS}/hello-db`,
    ]);
    expect([...(out.phaseOf ?? new Map()).entries()]).toEqual([[`ConfigMap/${NS}/hello-pre`, 'pre']]);
    expect(out.decryptedFiles).toEqual(['clusters/staging/secrets.sops.yaml']);
    expect(out.fileOf?.get(`Secret/${NS}/hello-db`)).toBe('charts/hello/templates/secret.yaml');
    expect(out.helm).toMatchObject({ chart: 'hello', version: '0.1.0', source: 'git:charts/hello', hooks: { pre: 1, post: 0 } });
    expect(out.helm?.skippedHooks.map((h) => [h.kind, h.name])).toEqual([['Pod', 'hello-smoke']]);
    expect(out.warnings.some((w) => w.includes('Pod/hello-smoke') && w.includes('not run'))).toBe(true);

    const secret = await get('secrets', 'hello-db');
    expect(Buffer.from((secret?.data as { password: string }).password, 'base64').toString()).toBe(CANARY);
    const cfg = (await get('configmaps', 'hello-cfg'))?.data as Record<string, string>;
    const version = await client.request<{ gitVersion: string }>('/version');
    expect(cfg).toMatchObject({ greeting: 'hello from staging', kubeVersion: version.gitVersion, isUpgrade: 'false' });
    expect(await get('configmaps', 'hello-pre')).toBeDefined();
    expect(await get('pods', 'hello-smoke')).toBeUndefined();
    expect(JSON.stringify(out.helm)).not.toContain(CANARY);

    // Applied before: the next render is an upgrade (its identity differs; the chart's does not).
    const again = await reconcile(deps, rev, out);
    expect(again.revision).toBe(out.revision);
    expect(((await get('configmaps', 'hello-cfg'))?.data as Record<string, string>).isUpgrade).toBe('true');
  });

  it('refuses a chart that writes outside allowedNamespaces (tenancy) and a failing chart (render): nothing applied or pruned', async () => {
    const good = await reconcile(deps, await repo.commit('baseline'));
    repo.write('charts/hello/templates/other.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: kube-system}\n');
    repo.write('charts/hello/templates/new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-new}\n');
    const escaped = await reconcile(deps, await repo.commit('escape'), good).catch((e: unknown) => e);
    expect(escaped).toBeInstanceOf(RevisionError);
    expect((escaped as RevisionError).stage).toBe('tenancy');
    expect((escaped as RevisionError).problems).toEqual([
      `ConfigMap/kube-system/other: namespace "kube-system" is not in allowedNamespaces [${NS}]`,
    ]);

    repo.write('charts/hello/templates/other.yaml', '{{ fail "this chart refuses to render" }}\n');
    const failed = await reconcile(deps, await repo.commit('fail'), good).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RevisionError);
    expect((failed as RevisionError).stage).toBe('render');
    expect((failed as Error).message).toContain('charts/hello/templates/other.yaml');
    expect((failed as Error).message).toContain('this chart refuses to render');

    expect(await get('configmaps', 'hello-new')).toBeUndefined();
    expect(await get('secrets', 'hello-db')).toBeDefined();
    expect(await get('configmaps', 'hello-cfg')).toBeDefined();
  });

  it('refuses a wrong-key values file at decrypt, naming it, before helm runs', async () => {
    const other = await generateAgeIdentity();
    const err = await loadRevision({
      settings,
      revision: await repo.commit('unchanged'),
      keys: { ageIdentities: [other.identity] },
      mapper: deps.manager.mapper,
      ...(deps.render ? { render: { ...deps.render, caches: newRenderCaches() } } : {}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionError);
    expect((err as RevisionError).stage).toBe('decrypt');
    expect((err as Error).message).toContain('clusters/staging/secrets.sops.yaml');
  });
});
