// The parity check of issue 17 for a Kustomize overlay repository, when the Flux build is cached
// (bench/flux/build.sh; CI does not build it, so there this test is reported as skipped, never
// as passed). The repository is the Flux-style fixture of the render tests
// (test/support/flux-repo.ts: clusters/ → infrastructure/ + apps/{staging,production} overlays of
// apps/base, a component, namePrefix/nameSuffix, labels with selectors, strategic-merge, JSON6902
// and inline patches, images, configMapGenerator merge + literals with hash suffixes,
// replacements, a SOPS-encrypted Secret resource, secretGenerators from SOPS dotenv and binary
// files). It is generated twice with the same plaintext, once per tool, differing only in the
// namespace names; Flux syncs `clusters/staging` and `clusters/production` of one with two
// Kustomizations, the gitops-seal daemon the same paths of the other with two syncs. The live
// objects must be equal field by field (bench/flux/parity.ts namespacesParity).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import { makeCanary } from '../../test/reliability/canary.js';
import { fluxRepo } from '../../test/support/flux-repo.js';
import { kcall, kget, until } from './cluster.js';
import { namespacesParity } from './parity.js';
import {
  fluxApplied,
  fluxBuild,
  fluxNamespace,
  fluxRemove,
  fluxSync,
  installFluxCrds,
  SOPS_SECRET,
  startFlux,
  type RunningFlux,
} from './peer.js';
import { ourApplied, startOurs, type RunningOurs } from './ours.js';
import { BenchRepo } from './repo.js';

const build = fluxBuild();
if (typeof build === 'string') console.log(`[bench/flux overlay parity] skipped: ${build}`);

describe.skipIf(typeof build === 'string')('Flux and gitops-seal apply the same Kustomize overlays (parity, issue 17)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('clusters/staging and clusters/production: equal field by field, secrets from SOPS files included', async () => {
    if (typeof build === 'string') return;
    const stack = inject('stack');
    const kube = stack.kube;
    const tag = Date.now().toString(36);
    const work = mkdtempSync(join(tmpdir(), 'flux-overlay-parity-'));
    cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
    const fluxNs = `fo-${tag}`;
    const ns = {
      flux: { staging: `fo-${tag}-stg-f`, production: `fo-${tag}-prd-f` },
      ours: { staging: `fo-${tag}-stg-o`, production: `fo-${tag}-prd-o` },
    };
    for (const n of [fluxNs, ...Object.values(ns.flux), ...Object.values(ns.ours)])
      cleanups.push(() => kcall(kube, 'DELETE', `/api/v1/namespaces/${n}`));

    const me = await generateAgeIdentity();
    const canaries = {
      db: makeCanary('fo-db'),
      api: makeCanary('fo-api'),
      tls: makeCanary('fo-tls'),
      prodApi: makeCanary('fo-prod'),
      helm: makeCanary('fo-helm'),
    };
    const commits: Record<'flux' | 'ours', string> = { flux: '', ours: '' };
    const urls: Record<'flux' | 'ours', string> = { flux: '', ours: '' };
    for (const side of ['flux', 'ours'] as const) {
      const gen = await fluxRepo({ sops: stack.bins.sops, recipient: me.recipient, namespaces: ns[side], canaries });
      const name = `fo-${tag}-${side}`;
      urls[side] = await createRepo(stack.git, name);
      const repo = await BenchRepo.create(join(work, side), authedUrl(stack.git, name));
      commits[side] = await repo.commit(gen.files, 'platform: overlays');
      await repo.push(commits[side], 'main');
    }

    await installFluxCrds(build, stack.bins.kubectl, kube.kubeconfig);
    await fluxNamespace(kube, fluxNs, stack.git, me.identity);
    const flux: RunningFlux = await startFlux(build, kube.kubeconfig, fluxNs, join(work, 'flux'));
    cleanups.push(() => flux.stop());
    for (const cluster of ['staging', 'production']) {
      await fluxSync(kube, fluxNs, cluster, urls.flux, 'main', undefined, '10m', `./clusters/${cluster}`);
      cleanups.push(() => fluxRemove(kube, fluxNs, cluster));
    }
    const ours: RunningOurs = await startOurs(
      {
        name: `fo-${tag}`,
        url: urls.ours,
        branch: 'main',
        paths: ['clusters/staging', 'clusters/production'],
        ageSecret: { namespace: fluxNs, name: SOPS_SECRET, key: 'age.agekey' },
        interval: '10m',
        kubeconfig: kube.kubeconfig,
        git: stack.git,
      },
      work,
    );
    cleanups.push(() => ours.stop());
    for (const i of [0, 1])
      cleanups.push(() => kcall(kube, 'DELETE', `/api/v1/namespaces/gitops-seal-system/configmaps/gitops-seal-inventory-fo-${tag}-${i}`));

    const t0 = performance.now();
    const why = async (): Promise<string> =>
      JSON.stringify((await kget(kube, `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${fluxNs}/kustomizations`)).body).slice(0, 2000);
    await until(
      'Flux applied both clusters',
      async () =>
        (await fluxApplied(kube, fluxNs, 'staging', commits.flux)) && (await fluxApplied(kube, fluxNs, 'production', commits.flux)),
      t0,
      300_000,
      1000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; Kustomizations: ${await why()}`);
    });
    await until('gitops-seal applied both syncs', () => ourApplied(ours, commits.ours), t0, 300_000, 1000);

    const p = await namespacesParity(kube, [
      [ns.flux.staging, ns.ours.staging],
      [ns.flux.production, ns.ours.production],
    ]);
    expect(p.differences).toEqual([]);
    // staging: Namespace, cluster-settings, podinfo-alerts, podinfo-config-<hash>,
    // environment-<hash>, db, api-creds-<hash>, tls-<hash>, the Deployment and the Service; the
    // production side has no environment/tls. Counted, so an empty side cannot pass.
    expect(p.compared).toBeGreaterThanOrEqual(17);
  }, 900_000);
});
