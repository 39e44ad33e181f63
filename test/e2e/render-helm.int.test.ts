// Helm syncs end to end on the real stack (issue 15 items 3, 4, 8): one chart from four sources —
// a chart dir in the same Git revision, an HTTP chart repository (a plain static file server over
// a directory indexed by the real `helm repo index`), the stack's OCI registry (`helm push`, with
// its htpasswd auth) by semver range, and OCI pinned by digest — each with a values file and a
// SOPS-encrypted values file from the repo. What the cluster holds equals `helm template` of the
// same chart with the plaintext values. A chart version pushed to the HTTP repo and to OCI
// reconciles without a commit (the digest pin does not move). A tampered or wrong-key values file
// refuses the revision with nothing applied and the file named; a chart that renders into a
// namespace outside allowedNamespaces is refused; a template removed in Git prunes its object;
// a tiny render.timeout is refused cleanly.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { findRenderers, findTools } from '../stack/tools.js';
import { ChartWorkshop } from '../support/chart-repo.js';
import { fluxRepo, HELM_SECRET_VALUES, HELM_VALUES, sopsEncrypt, tamper, type FluxRepo } from '../support/flux-repo.js';
import { RenderDaemon } from '../support/render-daemon.js';
import { expectLive, helmReference, ownedKeys } from '../support/render-reference.js';
import { makeCanary } from '../reliability/canary.js';
import { getJson, kubectl, WorkRepo } from './harness.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const NS = `rh-${sfx}`;
const OCI_PATH = `rh-charts-${sfx}`;
const S = { git: `rh-git-${sfx}`, http: `rh-http-${sfx}`, oci: `rh-oci-${sfx}`, pin: `rh-pin-${sfx}` };
const ESCAPE = `rh-escape-${sfx}`;
const SLOW = `rh-slow-${sfx}`;
const canary = makeCanary('rh-helm');

let repo: WorkRepo;
let fx: FluxRepo;
let d: RenderDaemon;
let shop: ChartWorkshop;
let helm: string;
let sops: string;
let pinned: string;
let head: string;
const tree: Record<string, string> = {};

const VALUES = [HELM_VALUES, HELM_SECRET_VALUES];
const release = (sync: string): string => sync.replace(`-${sfx}`, '');

/** `helm template` of the chart `chart` (a tree dir or a .tgz) for `sync`, plaintext values. */
const reference = (sync: string, chart: string) =>
  helmReference(helm, tree, fx.plain, { chart, release: release(sync), namespace: NS, valuesFiles: VALUES });

const cmData = async (sync: string): Promise<Record<string, string> | undefined> =>
  (await getJson<{ data: Record<string, string> }>(stack, ['configmap', `${release(sync)}-settings`, '-n', NS]))?.data;

beforeAll(async () => {
  helm = findRenderers().helm;
  sops = findTools().sops;
  const id = await generateAgeIdentity();
  fx = await fluxRepo({
    sops,
    recipient: id.recipient,
    namespaces: { staging: `${NS}-s`, production: `${NS}-p` },
    canaries: { db: makeCanary('rh'), api: makeCanary('rh'), tls: makeCanary('rh'), prodApi: makeCanary('rh'), helm: canary },
  });
  Object.assign(tree, fx.files);
  // A chart that writes into another namespace explicitly (tenancy).
  tree['charts/escape/Chart.yaml'] = 'apiVersion: v2\nname: escape\nversion: 0.1.0\n';
  tree['charts/escape/templates/cm.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: escaped\n  namespace: kube-system\n';
  shop = new ChartWorkshop(helm);
  await shop.publishHttp('1.0.0');
  const server = await shop.httpRepo();
  pinned = await shop.pushOci(stack.registry.basic, OCI_PATH, '1.0.0');
  await kubectl(stack, ['create', 'namespace', NS]);
  repo = await WorkRepo.create(stack, `render-helm-${sfx}`);
  head = await repo.commit(tree, 'charts and values');
  const idFile = join(repo.dir, '..', `rh-${sfx}.agekey`);
  writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
  const creds = { usernameFrom: { env: 'RH_REG_USER' }, passwordFrom: { env: 'RH_REG_PASSWORD' } };
  const ociUrl = `oci://${stack.registry.basic.host}/${OCI_PATH}/webapp`;
  const helmSync = (name: string, chart: object, extra: object = {}) => ({
    name,
    source: 'repo',
    targetNamespace: NS,
    allowedNamespaces: [NS],
    kubeconfig: { file: stack.kube.kubeconfig },
    decryption: { age: { identitiesFrom: [{ file: idFile }] } },
    helm: { chart, release: { name: release(name), namespace: NS }, valuesFiles: VALUES },
    ...extra,
  });
  d = await RenderDaemon.start(stack, {
    name: `rh-${sfx}`,
    repoUrl: repo.url,
    // Each source poll resolves the HTTP/OCI charts again: that is how a new version is noticed.
    interval: '3s',
    env: { RH_REG_USER: stack.registry.basic.username, RH_REG_PASSWORD: stack.registry.basic.password },
    syncs: [
      helmSync(S.git, { git: { path: 'charts/webapp' } }),
      helmSync(S.http, { repository: { url: server.url, chart: 'webapp', version: '^1.0.0' } }),
      helmSync(S.oci, { oci: { url: ociUrl, version: '^1.0.0', credentials: creds, insecure: true } }),
      helmSync(S.pin, { oci: { url: ociUrl, digest: pinned, credentials: creds, insecure: true } }),
      helmSync(ESCAPE, { git: { path: 'charts/escape' } }),
      helmSync(SLOW, { git: { path: 'charts/webapp' } }, { render: { timeout: '1ms' } }),
    ],
  });
  for (const s of Object.values(S)) await d.applied(s, head);
}, 240_000);

afterAll(async () => {
  await d?.teardown(stack, [NS]);
  await shop?.close();
  repo?.remove();
});

describe('helm sync: what is applied equals helm template', () => {
  it('chart in Git, values file + encrypted values file', async () => {
    await expectLive(stack, S.git, await reference(S.git, 'charts/webapp'));
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', `${release(S.git)}-db`, '-n', NS]);
    expect(Buffer.from(secret?.data.DB_PASSWORD ?? '', 'base64').toString()).toBe(canary);
  });

  it('HTTP repository, OCI by range and OCI by digest: the same chart, /status names version and digest', async () => {
    const tgz = await shop.package('1.0.0', join(shop.dir, 'ref'));
    for (const s of [S.http, S.oci, S.pin]) {
      await expectLive(stack, s, await reference(s, tgz));
      expect((await cmData(s))?.chartVersion).toBe('1.0.0');
    }
    const pin = await d.sync(S.pin);
    expect(pin?.helm?.digest).toBe(pinned);
    expect(pin?.helm?.version).toBe('1.0.0');
    // The web page (daemon/ui) shows a Helm sync applied, though its revision is commit + chart, not the commit attempted.
    const page = (await (await fetch(`${d.url}/ui/api/syncs/${S.pin}`)).json()) as { sync: { state: string; revision: string } };
    expect(page.sync).toMatchObject({ state: 'applied', revision: pin?.appliedRevision });
  });

  it('a chart version pushed to the HTTP repo and to OCI reconciles without a commit; the digest pin holds', async () => {
    await shop.publishHttp('1.1.0');
    await shop.pushOci(stack.registry.basic, OCI_PATH, '1.1.0');
    for (const s of [S.http, S.oci]) {
      const st = await d.until(`${s} on chart 1.1.0`, s, (x) => x.helm?.version === '1.1.0' && !x.lastError, 60_000);
      expect(st.appliedRevision?.startsWith(head)).toBe(true);
      expect(st.appliedRevision).not.toBe(head);
      expect((await cmData(s))?.chartVersion).toBe('1.1.0');
      await expectLive(stack, s, await reference(s, await shop.package('1.1.0', join(shop.dir, 'ref'))));
    }
    expect((await d.sync(S.pin))?.helm?.version).toBe('1.0.0');
    expect((await cmData(S.pin))?.chartVersion).toBe('1.0.0');
    expect(await repo.head()).toBe(head);
  });
});

describe('helm sync: prune', () => {
  it('a template removed from the chart in Git prunes its object; the others stay', async () => {
    const sha = await repo.commit({ 'charts/webapp/templates/service.yaml': null }, 'drop the service');
    delete tree['charts/webapp/templates/service.yaml'];
    await d.poke();
    await d.applied(S.git, sha);
    const ref = await reference(S.git, 'charts/webapp');
    expect(ref.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Secret']);
    await expectLive(stack, S.git, ref);
    expect(await getJson(stack, ['service', release(S.git), '-n', NS])).toBeUndefined();
    head = sha;
  });
});

describe('helm sync: refusals', () => {
  for (const kind of ['tampered', 'wrong key'] as const) {
    it(`a ${kind} encrypted values file refuses every release using it: nothing applied, the file named`, async () => {
      const good = new Map<string, string | undefined>();
      for (const s of Object.values(S)) good.set(s, (await d.sync(s))?.appliedRevision);
      const bad =
        kind === 'tampered'
          ? tamper(fx.files[HELM_SECRET_VALUES] as string)
          : await sopsEncrypt(
              sops,
              (await generateAgeIdentity()).recipient,
              HELM_SECRET_VALUES,
              fx.plain[HELM_SECRET_VALUES] as string,
              'yaml',
            );
      // The plain values file changes in the same commit: that change must not be applied either.
      const sha = await repo.commit({ [HELM_SECRET_VALUES]: bad, [HELM_VALUES]: 'replicaCount: 2\ngreeting: must not apply\n' }, kind);
      await d.poke();
      for (const s of Object.values(S)) {
        const st = await d.refused(s, sha);
        expect(st.lastError?.stage).toBe('decrypt');
        expect(st.lastError?.message).toContain(HELM_SECRET_VALUES);
        expect(st.appliedRevision).toBe(good.get(s));
        expect((await cmData(s))?.greeting).toBe('hello from production');
      }
      const fixed = await repo.commit(
        { [HELM_SECRET_VALUES]: fx.files[HELM_SECRET_VALUES] as string, [HELM_VALUES]: tree[HELM_VALUES] as string },
        'restore',
      );
      await d.poke();
      for (const s of Object.values(S)) await d.applied(s, fixed);
      head = fixed;
    });
  }

  it('a chart rendering into a namespace outside allowedNamespaces is refused, naming it', async () => {
    const st = await d.refused(ESCAPE, head);
    expect(st.lastError?.stage).toBe('tenancy');
    expect(st.lastError?.message).toContain('kube-system');
    expect(await ownedKeys(stack, ESCAPE)).toEqual([]);
    expect(await getJson(stack, ['configmap', 'escaped', '-n', 'kube-system'])).toBeUndefined();
  });

  it('a render.timeout of 1ms refuses cleanly, nothing applied', async () => {
    const st = await d.refused(SLOW, head);
    expect(st.lastError?.stage).toBe('render');
    expect(st.lastError?.message).toMatch(/time(d)? ?out|timeout/i);
    expect(await ownedKeys(stack, SLOW)).toEqual([]);
    expect(d.child.alive()).toBe(true);
  });
});
