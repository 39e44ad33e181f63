// The render stage without renderers: which syncs it takes, and how it refuses when a renderer
// is missing or a Helm sync has no cluster. Renders with the real kustomize and helm:
// render.int.test.ts beside this file.
import { describe, expect, it } from 'vitest';
import { CORE_KINDS, kindScopes } from '../../../test/support/kind-scopes.js';
import { memoryRevision } from '../../../test/support/memory-revision.js';
import { RendererNotFoundError } from '../../render/index.js';
import { RevisionError } from '../errors.js';
import type { SyncSettings } from '../settings.js';
import { findRenderers } from './render-context.js';
import { render, rendererOf } from './render.js';

const at = { sync: 'apps', commit: 'abcdef0123456789' };
const settings: SyncSettings = {
  name: 'apps',
  path: 'deploy',
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 1000,
  maxPruneRatio: 0.5,
  allowEmpty: false,
};
const helmSettings: SyncSettings = {
  ...settings,
  path: '',
  helm: { chart: { git: { path: 'charts/web' } }, release: { name: 'web', namespace: 'apps' }, valuesFiles: [], includeCrds: true },
};
const missing = {
  kustomize: new RendererNotFoundError('kustomize', 'not on PATH; install it or set GITOPS_SEAL_KUSTOMIZE to its absolute path'),
  helm: new RendererNotFoundError('helm', 'not on PATH; install it or set GITOPS_SEAL_HELM to its absolute path'),
};
const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';

async function refusal(p: Promise<unknown>): Promise<RevisionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RevisionError);
  return err as RevisionError;
}

describe('render stage', () => {
  it('takes a path holding a kustomization, and helm syncs; a plain directory is not rendered', async () => {
    const plain = memoryRevision({ 'deploy/cm.yaml': cm, 'other/kustomization.yaml': 'resources: []\n' });
    expect(await rendererOf(plain, settings)).toBeUndefined();
    expect(
      await render({ settings, revision: plain, keys: {}, mapper: kindScopes(CORE_KINDS), context: { renderers: missing } }, at),
    ).toBeUndefined();
    for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization'])
      expect(await rendererOf(memoryRevision({ [`deploy/${name}`]: 'resources: []\n' }), settings)).toBe('kustomize');
    expect(await rendererOf(plain, helmSettings)).toBe('helm');
  });

  it('refuses a sync whose renderer is missing at `render`, naming the binary and its variable', async () => {
    const revision = memoryRevision({ 'deploy/kustomization.yaml': 'resources: [cm.yaml]\n', 'deploy/cm.yaml': cm });
    const k = await refusal(render({ settings, revision, keys: {}, mapper: kindScopes(CORE_KINDS), context: { renderers: missing } }, at));
    expect(k.stage).toBe('render');
    expect(k.problems).toEqual([
      'this sync needs kustomize: kustomize not found: not on PATH; install it or set GITOPS_SEAL_KUSTOMIZE to its absolute path',
    ]);
    const h = await refusal(
      render({ settings: helmSettings, revision, keys: {}, mapper: kindScopes(CORE_KINDS), context: { renderers: missing } }, at),
    );
    expect(h.stage).toBe('render');
    expect(h.message).toContain('GITOPS_SEAL_HELM');
  });

  it('refuses a helm sync without a cluster to take .Capabilities from', async () => {
    const revision = memoryRevision({ 'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n' });
    const err = await refusal(
      render(
        {
          settings: helmSettings,
          revision,
          keys: {},
          mapper: kindScopes(CORE_KINDS),
          context: { renderers: { ...missing, helm: '/bin/true' } },
        },
        at,
      ),
    );
    expect(err.stage).toBe('render');
    expect(err.problems[0]).toContain('capabilities are unknown');
  });
});

describe('findRenderers', () => {
  it('resolves each binary once from its variable or PATH, and keeps the reason for a missing one', () => {
    const r = findRenderers({ PATH: '/nonexistent', GITOPS_SEAL_HELM: '/bin/true' });
    expect(r.helm).toBe('/bin/true');
    expect(r.kustomize).toBeInstanceOf(RendererNotFoundError);
    expect((r.kustomize as Error).message).toContain('GITOPS_SEAL_KUSTOMIZE');
    expect(findRenderers({ PATH: '', GITOPS_SEAL_KUSTOMIZE: 'relative/kustomize' }).kustomize).toBeInstanceOf(RendererNotFoundError);
  });
});
