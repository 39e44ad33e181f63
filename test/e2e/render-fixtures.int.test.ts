// The render fixtures (test/support/flux-repo.ts, chart-repo.ts) checked against the real tools
// before any daemon test relies on them: every overlay builds with `kustomize build` and shows
// the feature it stands for (prefix/suffix, namespace, labels, patches, component, hash
// suffixes, replacements, images), the encrypted files are real sops files that the real sops
// decrypts back and hold no plaintext, and the chart renders with `helm template`, is served
// by a static `helm repo index` repository and is pushed to the stack's OCI registry.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeObject } from '../../daemon/kube/types.js';
import { findRenderers, findTools } from '../stack/tools.js';
import { ChartWorkshop } from '../support/chart-repo.js';
import { fluxRepo, HELM_SECRET_VALUES, HELM_VALUES, tamper, tamperMac, type FluxRepo } from '../support/flux-repo.js';
import { helmReference, keyOf, kustomizeReference, secretData } from '../support/render-reference.js';
import { TEST_AGE_KEY_FILE, testAgeRecipient } from '../support/test-age-key.js';
import { makeCanary } from '../reliability/canary.js';

const run = promisify(execFile);
const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const ns = { staging: `fx-staging-${sfx}`, production: `fx-production-${sfx}` };
const canaries = {
  db: makeCanary('fx-db'),
  api: makeCanary('fx-api'),
  tls: makeCanary('fx-tls'),
  prodApi: makeCanary('fx-prod'),
  helm: makeCanary('fx-helm'),
};

let repo: FluxRepo;
let bins: { kustomize: string; helm: string; sops: string };
const byKey = (objs: KubeObject[]): Map<string, KubeObject> => new Map(objs.map((o) => [keyOf(o), o]));
const decoded = (o: KubeObject | undefined, k: string): string => Buffer.from(secretData(o as KubeObject)[k] ?? '', 'base64').toString();

beforeAll(async () => {
  bins = { ...findRenderers(), sops: findTools().sops };
  repo = await fluxRepo({ sops: bins.sops, recipient: testAgeRecipient, namespaces: ns, canaries });
});

describe('the Flux-style repository', () => {
  it('encrypted files are real sops files: no plaintext, the real sops decrypts them back, tamper() and tamperMac() break them', async () => {
    for (const [path, text] of Object.entries(repo.plain)) {
      const enc = repo.files[path] as string;
      for (const c of Object.values(canaries)) expect(enc).not.toContain(c);
      expect(enc).toMatch(/ENC\[AES256_GCM,data:/);
      const format = repo.encrypted[path] as string;
      const dec = run(bins.sops, ['decrypt', '--input-type', format, '--output-type', format], {
        env: { PATH: '/usr/bin:/bin', SOPS_AGE_KEY_FILE: TEST_AGE_KEY_FILE },
      });
      dec.child.stdin?.end(enc);
      const out = (await dec).stdout;
      if (format === 'yaml') expect(parse(out), path).toEqual(parse(text));
      else expect(out, path).toBe(text);
      const bad = run(bins.sops, ['decrypt', '--input-type', format, '--output-type', format], {
        env: { PATH: '/usr/bin:/bin', SOPS_AGE_KEY_FILE: TEST_AGE_KEY_FILE },
      });
      bad.child.stdin?.end(tamper(enc));
      await expect(bad, path).rejects.toThrow();
      const badMac = run(bins.sops, ['decrypt', '--input-type', format, '--output-type', format], {
        env: { PATH: '/usr/bin:/bin', SOPS_AGE_KEY_FILE: TEST_AGE_KEY_FILE },
      });
      badMac.child.stdin?.end(tamperMac(enc));
      await expect(badMac, path).rejects.toThrow(/MAC/);
    }
  });

  it('clusters/staging: infrastructure + the staging overlay with every transformer', async () => {
    const objs = await kustomizeReference(bins.kustomize, repo.files, repo.plain, 'clusters/staging');
    const m = byKey(objs);
    const names = [...m.keys()];
    expect(m.has(`Namespace//${ns.staging}`)).toBe(true);
    expect(m.get(`ConfigMap/${ns.staging}/cluster-settings`)?.data).toEqual({ cluster: 'staging' });
    const dep = m.get(`Deployment/${ns.staging}/staging-podinfo`) as KubeObject & { spec: Record<string, any> };
    expect(dep.spec.replicas).toBe(2); // strategic-merge patch file
    const container = dep.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/stefanprodan/podinfo:6.5.4'); // images newTag
    expect(container.env).toEqual([
      { name: 'PODINFO_UI_COLOR', value: '#ff8800' }, // JSON6902 patch file
      { name: 'PODINFO_LEVEL', value: 'eu-west-1' }, // replacements
    ]);
    expect(dep.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true'); // component
    expect(dep.metadata.labels).toMatchObject({ env: 'staging', 'app.kubernetes.io/name': 'podinfo' });
    // Generated names carry hash suffixes, and references follow them.
    const gen = (prefix: string): string => names.find((n) => n.startsWith(prefix)) ?? '';
    const apiCreds = gen(`Secret/${ns.staging}/staging-api-creds-`);
    const tls = gen(`Secret/${ns.staging}/staging-tls-`);
    const cfg = gen(`ConfigMap/${ns.staging}/staging-podinfo-config-`);
    for (const n of [apiCreds, tls, cfg]) expect(n).toMatch(/-[a-z0-9]{10}$/);
    expect(container.envFrom.map((e: { secretRef: { name: string } }) => e.secretRef.name)).toEqual(['staging-db', apiCreds.split('/')[2]]);
    expect(m.get(cfg)?.data).toEqual({ 'app.properties': 'log.level=info\ncache.size=64\n', 'log.level': 'debug' });
    // The encrypted Secret of the base, transformed by the overlay; the generators' sources.
    const db = m.get(`Secret/${ns.staging}/staging-db`);
    expect(db?.metadata.labels).toMatchObject({ tier: 'data', env: 'staging' });
    expect(decoded(db, 'DB_PASSWORD')).toBe(canaries.db);
    expect(decoded(m.get(apiCreds), 'API_TOKEN')).toBe(canaries.api);
    expect(decoded(m.get(tls), 'tls.key')).toContain(canaries.tls);
    expect(objs.length).toBe(10);
  });

  it('clusters/production: suffix, annotations, inline patch, images newName + digest', async () => {
    const m = byKey(await kustomizeReference(bins.kustomize, repo.files, repo.plain, 'clusters/production'));
    const dep = m.get(`Deployment/${ns.production}/podinfo-prod`) as KubeObject & { spec: Record<string, any> };
    expect(dep.spec.replicas).toBe(3);
    expect(dep.metadata.annotations).toEqual({ team: 'platform' });
    expect(dep.spec.template.spec.containers[0].image).toMatch(/^registry\.example\.com\/mirror\/podinfo@sha256:/);
    expect(decoded(m.get(`Secret/${ns.production}/db-prod`), 'DB_PASSWORD')).toBe(canaries.db);
    const api = [...m.keys()].find((k) => k.startsWith(`Secret/${ns.production}/api-creds-`));
    expect(api).toMatch(/-prod-[a-z0-9]{10}$/); // suffix, then the hash
    expect(decoded(m.get(api as string), 'API_TOKEN')).toBe(canaries.prodApi);
  });

  it('the chart renders with helm template, the encrypted values file winning over the plain one', async () => {
    const objs = await helmReference(bins.helm, repo.files, repo.plain, {
      chart: 'charts/webapp',
      release: 'webapp',
      namespace: ns.production,
      valuesFiles: [HELM_VALUES, HELM_SECRET_VALUES],
    });
    const m = byKey(objs);
    expect([...m.keys()].sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Secret', 'Service']
        .map((k) => `${k}/${ns.production}/webapp${{ ConfigMap: '-settings', Secret: '-db' }[k as 'ConfigMap'] ?? ''}`)
        .sort(),
    );
    expect(decoded(m.get(`Secret/${ns.production}/webapp-db`), 'DB_PASSWORD')).toBe(canaries.helm);
    expect(m.get(`ConfigMap/${ns.production}/webapp-settings`)?.data).toEqual({ greeting: 'hello from production', chartVersion: '1.0.0' });
    expect((m.get(`Deployment/${ns.production}/webapp`) as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });
});

describe('chart publishing', () => {
  let shop: ChartWorkshop;
  beforeAll(() => {
    shop = new ChartWorkshop(bins.helm);
  });
  afterAll(async () => shop?.close());

  it('a static server over `helm repo index` serves the chart; helm itself pulls the highest version', async () => {
    await shop.publishHttp('1.0.0');
    await shop.publishHttp('1.1.0');
    const server = await shop.httpRepo();
    const out = await shop.helmRun(['show', 'chart', 'webapp', '--repo', server.url]);
    expect(out).toMatch(/version: 1\.1\.0/);
    expect(server.requests.map((r) => r.path)).toEqual(['/index.yaml', '/webapp-1.1.0.tgz']);
  });

  it('helm push to the stack registry (htpasswd) prints a digest helm can pull by', async () => {
    const path = `fx-charts-${sfx}`;
    const digest = await shop.pushOci(stack.registry.basic, path, '1.0.0');
    const out = await shop.helmRun(['show', 'chart', `oci://${stack.registry.basic.host}/${path}/webapp@${digest}`, '--plain-http']);
    expect(out).toMatch(/version: 1\.0\.0/);
  });
});
