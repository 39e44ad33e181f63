// The rules a kustomize sync keeps on the real stack (issue 15 items 1 and 4), each sync on the
// same Flux-style repo (test/support/flux-repo.ts) in one child daemon:
//   - a remote base is refused before kustomize runs, naming the kustomization file and host —
//     github.com (no network needed: nothing is fetched) and a local static server; the same
//     remote is fetched and applied when the sync allow-lists its host;
//   - tenancy: an overlay that renders into a namespace outside allowedNamespaces is refused;
//   - a tiny render.timeout refuses the revision cleanly (the daemon lives on, nothing applied).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { findTools } from '../stack/tools.js';
import { fluxRepo } from '../support/flux-repo.js';
import { RenderDaemon } from '../support/render-daemon.js';
import { ownedKeys } from '../support/render-reference.js';
import { startStaticServer, type StaticServer } from '../support/static-server.js';
import { makeCanary } from '../reliability/canary.js';
import { getJson, kubectl, WorkRepo } from './harness.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const ns = { staging: `rp-staging-${sfx}`, production: `rp-production-${sfx}`, remote: `rp-remote-${sfx}` };
const SYNC = {
  remoteDenied: `rp-remote-denied-${sfx}`,
  remoteAllowed: `rp-remote-allowed-${sfx}`,
  github: `rp-github-${sfx}`,
  tenant: `rp-tenant-${sfx}`,
  timeout: `rp-timeout-${sfx}`,
};

let repo: WorkRepo;
let d: RenderDaemon;
let server: StaticServer;
let served: string;
let head: string;

beforeAll(async () => {
  const id = await generateAgeIdentity();
  const fx = await fluxRepo({
    sops: findTools().sops,
    recipient: id.recipient,
    namespaces: { staging: ns.staging, production: ns.production },
    canaries: { db: makeCanary('rp'), api: makeCanary('rp'), tls: makeCanary('rp'), prodApi: makeCanary('rp'), helm: makeCanary('rp') },
  });
  served = mkdtempSync(join(tmpdir(), 'gitops-seal-remote-base-'));
  mkdirSync(join(served, 'bases'));
  writeFileSync(
    join(served, 'bases', 'remote-cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-remote\ndata:\n  origin: static\n',
  );
  server = await startStaticServer(served);
  await kubectl(stack, ['create', 'namespace', ns.remote]);
  repo = await WorkRepo.create(stack, `render-policy-${sfx}`);
  head = await repo.commit(
    {
      ...fx.files,
      'apps/remote/kustomization.yaml': `namespace: ${ns.remote}\nresources:\n  - ${server.url}/bases/remote-cm.yaml\n`,
      'apps/github/kustomization.yaml': `namespace: ${ns.remote}\nresources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6\n`,
    },
    'repo with remote bases',
  );
  const idFile = join(repo.dir, '..', `rp-${sfx}.agekey`);
  writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
  const kubeconfig = { file: stack.kube.kubeconfig };
  const decryption = { age: { identitiesFrom: [{ file: idFile }] } };
  d = await RenderDaemon.start(stack, {
    name: `rp-${sfx}`,
    repoUrl: repo.url,
    syncs: [
      { name: SYNC.remoteDenied, source: 'repo', path: 'apps/remote', kubeconfig },
      {
        name: SYNC.remoteAllowed,
        source: 'repo',
        path: 'apps/remote',
        kubeconfig,
        render: { kustomize: { allowRemoteHosts: ['127.0.0.1'] } },
      },
      { name: SYNC.github, source: 'repo', path: 'apps/github', kubeconfig, render: { kustomize: { allowRemoteHosts: ['gitlab.com'] } } },
      { name: SYNC.tenant, source: 'repo', path: 'apps/staging', kubeconfig, decryption, allowedNamespaces: [ns.production] },
      { name: SYNC.timeout, source: 'repo', path: 'clusters/staging', kubeconfig, decryption, render: { timeout: '1ms' } },
    ],
  });
}, 180_000);

afterAll(async () => {
  await d?.teardown(stack, Object.values(ns));
  await server?.close();
  repo?.remove();
  if (served) rmSync(served, { recursive: true, force: true });
});

describe('remote bases', () => {
  it('are refused before kustomize runs, naming the kustomization file and the host; nothing fetched', async () => {
    const denied = await d.refused(SYNC.remoteDenied, head);
    expect(denied.lastError?.stage).toBe('render');
    expect(denied.lastError?.message).toContain('apps/remote/kustomization.yaml');
    expect(denied.lastError?.message).toContain('127.0.0.1');
    const github = await d.refused(SYNC.github, head);
    expect(github.lastError?.message).toContain('apps/github/kustomization.yaml');
    expect(github.lastError?.message).toContain('github.com');
    expect(await ownedKeys(stack, SYNC.remoteDenied)).toEqual([]);
    expect(await ownedKeys(stack, SYNC.github)).toEqual([]);
  });

  it('an allow-listed host is fetched by kustomize and applied', async () => {
    await d.applied(SYNC.remoteAllowed, head);
    expect(await ownedKeys(stack, SYNC.remoteAllowed)).toEqual([`ConfigMap/${ns.remote}/from-remote`]);
    const cm = await getJson<{ data: Record<string, string> }>(stack, ['configmap', 'from-remote', '-n', ns.remote]);
    expect(cm?.data).toEqual({ origin: 'static' });
    expect(server.requests.some((r) => r.path === '/bases/remote-cm.yaml')).toBe(true);
  });
});

describe('tenancy and limits', () => {
  it('an overlay rendering into a namespace outside allowedNamespaces is refused, naming the namespace', async () => {
    const st = await d.refused(SYNC.tenant, head);
    expect(st.lastError?.stage).toBe('tenancy');
    expect(st.lastError?.message).toContain(ns.staging);
    expect(st.appliedRevision).toBeUndefined();
    expect(await ownedKeys(stack, SYNC.tenant)).toEqual([]);
  });

  it('a render.timeout of 1ms refuses the revision cleanly; the daemon and the other syncs carry on', async () => {
    const st = await d.refused(SYNC.timeout, head);
    expect(st.lastError?.stage).toBe('render');
    expect(st.lastError?.message).toMatch(/clusters\/staging\/kustomization\.yaml: kustomize build failed \(timeout\)/);
    expect(st.appliedRevision).toBeUndefined();
    expect(await ownedKeys(stack, SYNC.timeout)).toEqual([]);
    expect(d.child.alive()).toBe(true);
    // A new commit is attempted again (the refusal did not wedge the sync) and refused the same way.
    const next = await repo.commit({ 'README.md': '# platform, again\n' }, 'poke');
    await d.poke();
    await d.refused(SYNC.timeout, next);
    await d.applied(SYNC.remoteAllowed, next);
  });
});
