// Kustomize syncs end to end on the real stack (issue 15 items 1, 2, 4, 8): the daemon as a
// child process syncs clusters/staging and clusters/production of a Flux-style repo
// (test/support/flux-repo.ts: overlays, patches, a component, generators with hash suffixes,
// replacements, images; an encrypted Secret in the base and secretGenerator sources that are
// sops files). What the cluster holds equals `kustomize build` of the same tree in plaintext:
// the object set, every field of every object, and the decrypted Secret values. Removing an
// object prunes it; a kubectl patch of a generated Secret is reverted. A tampered or wrong-key
// file at each entry point (Secret resource, generator env, generator file) refuses the whole
// revision: nothing applied, nothing pruned, the file named in /status.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { findRenderers, findTools } from '../stack/tools.js';
import { fluxRepo, sopsEncrypt, tamper, type FluxRepo } from '../support/flux-repo.js';
import { RenderDaemon } from '../support/render-daemon.js';
import { expectLive, kustomizeReference, ownedKeys } from '../support/render-reference.js';
import { makeCanary } from '../reliability/canary.js';
import { eventually, getJson, kubectl, WorkRepo } from './harness.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const ns = { staging: `rk-staging-${sfx}`, production: `rk-production-${sfx}` };
const STAGING = `rk-staging-${sfx}`;
const PRODUCTION = `rk-production-${sfx}`;
const canaries = {
  db: makeCanary('rk-db'),
  api: makeCanary('rk-api'),
  tls: makeCanary('rk-tls'),
  prodApi: makeCanary('rk-prod'),
  helm: makeCanary('rk-helm'),
};

let repo: WorkRepo;
let fx: FluxRepo;
let d: RenderDaemon;
let recipient: string;
let kustomize: string;
let sops: string;
/** The files as committed now (fixture files, changed by the tests). */
const tree: Record<string, string> = {};

async function commit(files: Record<string, string | null>, message: string): Promise<string> {
  for (const [p, t] of Object.entries(files)) {
    if (t === null) delete tree[p];
    else tree[p] = t;
  }
  const sha = await repo.commit(files, message);
  await d.poke();
  return sha;
}

/** `kustomize build` of the committed tree, encrypted files replaced by their plaintext. */
const reference = (path: string) => kustomizeReference(kustomize, tree, fx.plain, path);

beforeAll(async () => {
  ({ kustomize } = findRenderers());
  sops = findTools().sops;
  const id = await generateAgeIdentity();
  recipient = id.recipient;
  fx = await fluxRepo({ sops, recipient, namespaces: ns, canaries });
  Object.assign(tree, fx.files);
  repo = await WorkRepo.create(stack, `render-kustomize-${sfx}`);
  const head = await repo.commit(fx.files, 'flux-style repo');
  const keyDir = join(repo.dir, '..');
  const idFile = join(keyDir, `rk-${sfx}.agekey`);
  writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
  const sync = (name: string, path: string) => ({
    name,
    source: 'repo',
    path,
    interval: '1h',
    kubeconfig: { file: stack.kube.kubeconfig },
    decryption: { age: { identitiesFrom: [{ file: idFile }] } },
  });
  d = await RenderDaemon.start(stack, {
    name: `rk-${sfx}`,
    repoUrl: repo.url,
    syncs: [sync(STAGING, 'clusters/staging'), sync(PRODUCTION, 'clusters/production')],
  });
  await d.applied(STAGING, head);
  await d.applied(PRODUCTION, head);
}, 180_000);

afterAll(async () => {
  await d?.teardown(stack, Object.values(ns));
  repo?.remove();
});

describe('kustomize sync: what is applied equals kustomize build', () => {
  it('clusters/staging: every object, every field, decrypted Secrets and generated names', async () => {
    const ref = await reference('clusters/staging');
    expect(ref.length).toBe(10);
    await expectLive(stack, STAGING, ref);
    const st = await d.sync(STAGING);
    expect(st?.objects).toBe(10);
  });

  it('clusters/production: its own overlay and generator source', async () => {
    await expectLive(stack, PRODUCTION, await reference('clusters/production'));
  });

  it('removing an object from the overlay prunes it', async () => {
    const kustomization = 'infrastructure/staging/kustomization.yaml';
    const sha = await commit({ [kustomization]: (tree[kustomization] as string).replace('  - settings.yaml\n', '') }, 'drop settings');
    await d.applied(STAGING, sha);
    const ref = await reference('clusters/staging');
    expect(ref.some((o) => o.metadata.name === 'cluster-settings')).toBe(false);
    await expectLive(stack, STAGING, ref);
    expect(await getJson(stack, ['configmap', 'cluster-settings', '-n', ns.staging])).toBeUndefined();
  });
});

describe('kustomize sync: drift', () => {
  it('a kubectl patch of a generated Secret (hash-suffixed name, value from an encrypted env file) is reverted', async () => {
    const name = (await ownedKeys(stack, STAGING)).find((k) => k.startsWith(`Secret/${ns.staging}/staging-api-creds-`))?.split('/')[2];
    expect(name).toBeDefined();
    const patch = JSON.stringify({ data: { API_TOKEN: Buffer.from('drifted').toString('base64') } });
    await kubectl(stack, ['patch', 'secret', name as string, '-n', ns.staging, '--type', 'merge', '-p', patch]);
    await eventually(
      'generated Secret reverted',
      async () =>
        Buffer.from(
          (await getJson<{ data: Record<string, string> }>(stack, ['secret', name as string, '-n', ns.staging]))?.data.API_TOKEN ?? '',
          'base64',
        ).toString() === canaries.api,
      30_000,
    );
  });
});

describe('kustomize sync: a bad encrypted file anywhere refuses the whole revision', () => {
  const entryPoints = [
    ['Secret resource', 'apps/base/db-secret.enc.yaml'],
    ['secretGenerator env', 'apps/staging/api.enc.env'],
    ['secretGenerator file', 'apps/staging/tls.enc.key'],
  ] as const;

  for (const [what, path] of entryPoints) {
    for (const kind of ['tampered', 'wrong key'] as const) {
      it(`${what} (${path}), ${kind}: nothing applied, nothing pruned, the file named`, async () => {
        const good = (await d.sync(STAGING))?.appliedRevision ?? '';
        const before = await ownedKeys(stack, STAGING);
        const bad =
          kind === 'tampered'
            ? tamper(fx.files[path] as string)
            : await sopsEncrypt(
                sops,
                (await generateAgeIdentity()).recipient,
                path,
                fx.plain[path] as string,
                fx.encrypted[path] ?? 'yaml',
              );
        // The same commit adds an object and removes one: neither may happen.
        const sha = await repo.commit(
          {
            [path]: bad,
            'infrastructure/staging/kustomization.yaml': 'resources:\n  - namespace.yaml\n  - extra.yaml\n',
            'infrastructure/staging/extra.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: ${ns.staging}\n`,
          },
          `${kind} ${path}`,
        );
        await d.poke();
        const st = await d.refused(STAGING, sha);
        expect(st.lastError?.stage).toBe('decrypt');
        expect(st.lastError?.message).toContain(path);
        expect(st.lastError?.message).toMatch(kind === 'tampered' ? /tampered|MAC|authenticat/i : /no key could decrypt|key/i);
        expect(st.appliedRevision).toBe(good);
        expect(await ownedKeys(stack, STAGING)).toEqual(before);
        expect(await getJson(stack, ['configmap', 'extra', '-n', ns.staging])).toBeUndefined();
        // Back to the committed tree.
        const fixed = await commit(
          {
            [path]: fx.files[path] as string,
            'infrastructure/staging/kustomization.yaml': tree['infrastructure/staging/kustomization.yaml'] as string,
            'infrastructure/staging/extra.yaml': null,
          },
          'restore',
        );
        await d.applied(STAGING, fixed);
      });
    }
  }

  it('after the refusals the cluster still equals kustomize build', async () => {
    await expectLive(stack, STAGING, await reference('clusters/staging'));
  });
});
