// Smoke of a Helm sync (chart in Git, a plain and a SOPS-encrypted values file) through the
// engine on the stack's real kube-apiserver, with the real helm: .Capabilities from the cluster,
// the release's objects in the release namespace, the pre-install hook applied in its own phase
// before them, the test hook skipped and reported, the revision identity commit + chart; then a
// revision the tenancy rules refuse and one whose chart fails, with nothing applied or pruned.
// Fixtures: testdata/helm (README.md there).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { makeCanary } from '../../test/reliability/canary.js';
import { renderSyncSandbox, type RenderSyncSandbox } from '../../test/support/render-sync.js';
import { RevisionError } from './errors.js';
import { loadRevision } from './load.js';
import { reconcile, type SyncDeps } from './reconcile.js';
import { newRenderCaches } from './stages/render-context.js';
import type { SyncSettings } from './settings.js';

const stack = inject('stack');
const CANARY = makeCanary('engine-helm');
let sb: RenderSyncSandbox;
let NS: string;
let settings: SyncSettings;
let deps: SyncDeps;
const get = (kind: 'configmaps' | 'secrets' | 'pods', name: string): Promise<Record<string, unknown> | undefined> => sb.get(kind, name);

beforeAll(async () => {
  sb = await renderSyncSandbox(stack.kube.kubeconfig, 'render-helm');
  NS = sb.ns;
  settings = {
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
  sb.repo.copy(new URL('./testdata/helm/charts', import.meta.url).pathname, 'charts');
  sb.repo.copy(new URL('./testdata/helm/clusters', import.meta.url).pathname, 'clusters');
  sb.repo.write(
    'clusters/staging/secrets.sops.yaml',
    await sb.encrypt(`db:\n  password: ${CANARY}\n`, 'clusters/staging/secrets.sops.yaml'),
  );
  deps = sb.deps(settings);
});

afterAll(async () => {
  await sb?.cleanup();
});

describe('a Helm sync on the real apiserver', () => {
  it('applies the chart with its SOPS values decrypted in memory, hooks by phase, identity commit + chart', async () => {
    const rev = await sb.repo.commit('chart');
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
    const version = await sb.client.request<{ gitVersion: string }>('/version');
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
    const good = await reconcile(deps, await sb.repo.commit('baseline'));
    sb.repo.write(
      'charts/hello/templates/other.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: kube-system}\n',
    );
    sb.repo.write('charts/hello/templates/new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-new}\n');
    const escaped = await reconcile(deps, await sb.repo.commit('escape'), good).catch((e: unknown) => e);
    expect(escaped).toBeInstanceOf(RevisionError);
    expect((escaped as RevisionError).stage).toBe('tenancy');
    expect((escaped as RevisionError).problems).toEqual([
      `ConfigMap/kube-system/other: namespace "kube-system" is not in allowedNamespaces [${NS}]`,
    ]);

    sb.repo.write('charts/hello/templates/other.yaml', '{{ fail "this chart refuses to render" }}\n');
    const failed = await reconcile(deps, await sb.repo.commit('fail'), good).catch((e: unknown) => e);
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
      revision: await sb.repo.commit('unchanged'),
      keys: { ageIdentities: [other.identity] },
      mapper: deps.manager.mapper,
      ...(deps.render ? { render: { ...deps.render, caches: newRenderCaches() } } : {}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionError);
    expect((err as RevisionError).stage).toBe('decrypt');
    expect((err as Error).message).toContain('clusters/staging/secrets.sops.yaml');
  });
});
