// `gitops-seal build` on the real stack: git server → the daemon's loading path → redacted output.
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SYNC_LABEL } from '../../daemon/apply/index.js';
import type { KubeObject } from '../../daemon/kube/types.js';
import { HELM_VALUES_FILE, leakForms, SECRET_FILE, syncFixture, type SyncFixture } from '../../test/support/cli-sync-fixture.js';
import { ExitCode } from '../errors.js';
import type { RunResult } from '../../test/support/cli-capture.js';

const stack = inject('stack');

function expectNoLeak(fx: SyncFixture, r: RunResult): void {
  for (const form of leakForms(fx.canaries)) {
    expect(r.out).not.toContain(form);
    expect(r.err).not.toContain(form);
  }
}

async function viewTemps(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((e) => e.startsWith('gitops-seal-view-'));
}

describe('gitops-seal build', () => {
  let fx: SyncFixture;
  let tempsBefore: string[];
  beforeAll(async () => {
    tempsBefore = await viewTemps();
    fx = await syncFixture(stack, 'build');
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('prints the revision as a YAML stream in apply order, Secret values redacted, keys kept', async () => {
    const r = await fx.run(['build', '--config', await fx.config(), '--sync', fx.syncName]);
    expect(r.err).not.toMatch(/gitops-seal: /);
    expect(r.code).toBe(ExitCode.OK);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as KubeObject);
    // Namespaces before namespaced objects; Secrets before ConfigMaps (Helm's order).
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([`Namespace/${fx.namespace}`, 'Secret/db', 'ConfigMap/cfg']);
    const secret = docs[1] as KubeObject;
    expect(secret.data).toEqual({ password: '***', username: '***' });
    expect(secret.metadata.namespace).toBe(fx.namespace);
    expect(secret.sops).toBeUndefined();
    expect((docs[2] as KubeObject).data).toEqual({ mode: 'blue' });
    for (const d of docs) expect(d.metadata.labels?.[SYNC_LABEL]).toBe(fx.syncName);
    expect(r.err).toMatch(/3 objects, 1 decrypted file/);
    expectNoLeak(fx, r);
  });

  it('-o json prints a v1 List', async () => {
    const r = await fx.run(['build', '-c', await fx.config(), '-s', fx.syncName, '-o', 'json']);
    expect(r.code).toBe(ExitCode.OK);
    const list = JSON.parse(r.out) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((o) => o.kind)).toEqual(['Namespace', 'Secret', 'ConfigMap']);
    expect(list.items[1]?.data).toEqual({ password: '***', username: '***' });
    expectNoLeak(fx, r);
  });

  it('works without a cluster when the sync has no namespace rules', async () => {
    const config = await fx.config({ kubeconfig: { file: join(fx.dir, 'no-such-kubeconfig') } });
    const r = await fx.run(['build', '-c', config, '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.err).toMatch(/cluster not consulted/);
    expect(parseAllDocuments(r.out)).toHaveLength(3);
    expectNoLeak(fx, r);
  });

  it("with no kubeconfig anywhere, says what was looked for instead of client-node's localhost:8080 fallback", async () => {
    // The fixture's environment has no KUBECONFIG and a HOME without .kube/config; the sync names none.
    const r = await fx.run(['build', '-c', await fx.config({ kubeconfig: undefined }), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.err).toContain(
      'cluster not consulted (kubeconfig not loaded: no Kubernetes credentials found; looked for KUBECONFIG (not set), ',
    );
    expect(r.err).not.toMatch(/HTTP protocol|skipTLSVerify/);
    expect(parseAllDocuments(r.out)).toHaveLength(3);
  });

  it('treats scopes as unknown when the apiserver cannot be reached', async () => {
    // A kubeconfig that loads but points at a closed port.
    const kubeconfig = join(fx.dir, 'dead-kubeconfig');
    await writeFile(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: dead, cluster: {server: "https://127.0.0.1:1"}}]\n' +
        'users: [{name: dead, user: {token: x}}]\ncontexts: [{name: dead, context: {cluster: dead, user: dead}}]\ncurrent-context: dead\n',
    );
    const r = await fx.run(['build', '-c', await fx.config({ kubeconfig: { file: kubeconfig } }), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.err).toMatch(/cluster not consulted \(GET \/api\/v1: .*ECONNREFUSED/);
    expect(parseAllDocuments(r.out).map((d) => (d.toJS() as KubeObject).kind)).toEqual(['Namespace', 'Secret', 'ConfigMap']);
    expectNoLeak(fx, r);
  });

  it('applies targetNamespace with discovery from the cluster', async () => {
    const r = await fx.run(['build', '-c', await fx.config({ targetNamespace: 'moved' }), '-s', fx.syncName, '-o', 'json']);
    expect(r.code).toBe(ExitCode.OK);
    const list = JSON.parse(r.out) as { items: KubeObject[] };
    expect(list.items.map((o) => `${o.kind}:${o.metadata.namespace ?? ''}`)).toEqual([`Namespace:`, 'Secret:moved', 'ConfigMap:moved']);
    expect(r.err).not.toMatch(/cluster not consulted/);
  });

  it('needs the cluster for targetNamespace/allowedNamespaces (exit 8 without it)', async () => {
    const config = await fx.config({ kubeconfig: { file: join(fx.dir, 'no-such-kubeconfig') }, targetNamespace: fx.namespace });
    const r = await fx.run(['build', '-c', config, '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.REMOTE);
    expect(r.err).toMatch(/cannot load kubeconfig/);
    expect(r.out).toBe('');
  });

  it('a tenancy violation is the RevisionError (exit 7)', async () => {
    const r = await fx.run(['build', '-c', await fx.config({ allowedNamespaces: ['elsewhere'] }), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.REFUSED);
    expect(r.err).toMatch(/refused at tenancy/);
    expect(r.err).toMatch(/Secret\/.*\/db: namespace ".*" is not in allowedNamespaces/);
    expect(r.out).toBe('');
    expectNoLeak(fx, r);
  });

  it('a wrong key refuses the revision at decrypt, naming the file (exit 3)', async () => {
    const r = await fx.run(['build', '-c', await fx.config({}, await fx.wrongIdentityFile()), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.DECRYPT);
    expect(r.err).toMatch(/refused at decrypt/);
    expect(r.err).toContain(SECRET_FILE);
    expect(r.out).toBe('');
  });

  it('an unknown sync is a config error (exit 5) naming the known syncs', async () => {
    const r = await fx.run(['build', '-c', await fx.config(), '-s', 'nope']);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.err).toContain(`no sync named "nope" (syncs: ${fx.syncName})`);
  });

  it('an invalid DaemonConfig is a config error (exit 5)', async () => {
    const r = await fx.run(['build', '-c', await fx.config({ prune: 'yes' }), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.err).toMatch(/spec\.syncs\[0\]\.prune/);
  });

  it('leaves no temporary object store behind', async () => {
    expect((await viewTemps()).filter((t) => !tempsBefore.includes(t))).toEqual([]);
  });
});

describe('gitops-seal build on a tampered revision', () => {
  let fx: SyncFixture;
  beforeAll(async () => {
    // Flip one character of the first encrypted value's ciphertext (inside ENC[AES256_GCM,data:...]).
    fx = await syncFixture(stack, 'tamper', {
      mutateSecret: (enc) => enc.replace(/data:([A-Za-z0-9+/])/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`),
    });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('fails naming the file, prints nothing, exit 3', async () => {
    const r = await fx.run(['build', '-c', await fx.config(), '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.DECRYPT);
    expect(r.err).toContain(SECRET_FILE);
    expect(r.err).toMatch(/refused at decrypt/);
    expect(r.out).toBe('');
    expectNoLeak(fx, r);
  });
});

describe('gitops-seal build on rendered syncs (the daemon render stage, through loadRevision)', () => {
  let kfx: SyncFixture;
  let hfx: SyncFixture;
  beforeAll(async () => {
    [kfx, hfx] = await Promise.all([
      syncFixture(stack, 'buildk', { render: 'kustomize' }),
      syncFixture(stack, 'buildh', { render: 'helm' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([kfx?.cleanup(), hfx?.cleanup()]);
  });

  it('a Kustomize sync: the rendered objects, the encrypted resource decrypted then redacted', async () => {
    const r = await kfx.run(['build', '-c', await kfx.config(), '-s', kfx.syncName]);
    expect(r.err).not.toMatch(/gitops-seal: /);
    expect(r.code).toBe(ExitCode.OK);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as KubeObject);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([`Namespace/${kfx.namespace}`, 'Secret/db', 'ConfigMap/cfg']);
    expect(docs[1]?.data).toEqual({ password: '***', username: '***' });
    expect(docs[1]?.sops).toBeUndefined();
    expect(r.err).toMatch(/3 objects, 1 decrypted file/);
    expectNoLeak(kfx, r);
  });

  it('a Kustomize sync whose renderer is missing is refused at render, naming the binary and its variable', async () => {
    const r = await kfx.run(['build', '-c', await kfx.config(), '-s', kfx.syncName], { GITOPS_SEAL_KUSTOMIZE: '/nonexistent/kustomize' });
    expect(r.code).toBe(ExitCode.REFUSED);
    expect(r.err).toMatch(/refused at render: this sync needs kustomize: .*GITOPS_SEAL_KUSTOMIZE=\/nonexistent\/kustomize/);
    expect(r.out).toBe('');
  });

  it('a Helm sync (chart in Git, SOPS values file): the release in its namespace, the Secret redacted', async () => {
    const helm = {
      chart: { git: { path: 'charts/hello' } },
      release: { name: 'hello', namespace: hfx.namespace },
      valuesFiles: [HELM_VALUES_FILE],
    };
    const r = await hfx.run(['build', '-c', await hfx.config({ helm }), '-s', hfx.syncName]);
    expect(r.err).not.toMatch(/gitops-seal: /);
    expect(r.code).toBe(ExitCode.OK);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as KubeObject);
    expect(docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      `Secret/${hfx.namespace}/db`,
      `ConfigMap/${hfx.namespace}/cfg`,
    ]);
    expect(docs[0]?.stringData ?? docs[0]?.data).toEqual({ password: '***', username: '***' });
    expect(r.err).toMatch(/2 objects, 1 decrypted file/);
    expectNoLeak(hfx, r);
  });

  it('a Helm sync with a wrong key is refused at decrypt naming the values file (exit 3)', async () => {
    const helm = {
      chart: { git: { path: 'charts/hello' } },
      release: { name: 'hello', namespace: hfx.namespace },
      valuesFiles: [HELM_VALUES_FILE],
    };
    const r = await hfx.run(['build', '-c', await hfx.config({ helm }, await hfx.wrongIdentityFile()), '-s', hfx.syncName]);
    expect(r.code).toBe(ExitCode.DECRYPT);
    expect(r.err).toContain(HELM_VALUES_FILE);
    expect(r.out).toBe('');
  });
});
