// `gitops-seal diff` on the real stack: a revision on the git server against the real apiserver,
// through create → in sync → drifted Secret → prune, never printing a Secret value.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ResourceManager } from '../../daemon/apply/index.js';
import { InventoryStore, inventoryOf } from '../../daemon/inventory/inventory.js';
import { KubeClient } from '../../daemon/kube/client.js';
import type { KubeObject } from '../../daemon/kube/types.js';
import { HELM_VALUES_FILE, leakForms, syncFixture, type SyncFixture } from '../../test/support/cli-sync-fixture.js';
import { ExitCode } from '../errors.js';
import type { RunResult } from '../../test/support/cli-capture.js';

const stack = inject('stack');

describe('gitops-seal diff', () => {
  let fx: SyncFixture;
  let kube: KubeClient;
  let config: string;
  const drifted = `drifted-${Math.random().toString(36).slice(2)}`;

  function expectNoLeak(r: RunResult): void {
    for (const form of leakForms([...fx.canaries, drifted])) {
      expect(r.out).not.toContain(form);
      expect(r.err).not.toContain(form);
    }
  }

  beforeAll(async () => {
    fx = await syncFixture(stack, 'diff');
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    config = await fx.config();
  });
  afterAll(async () => {
    try {
      await kube?.request(`/api/v1/namespaces/${fx.namespace}`, { method: 'DELETE' }).catch(() => undefined);
      await new InventoryStore(kube).remove(fx.syncName);
    } finally {
      kube?.close();
      await fx?.cleanup();
    }
  });

  it('on an empty cluster lists every object as created and exits 1', async () => {
    const r = await fx.run(['diff', '--config', config, '--sync', fx.syncName]);
    expect(r.err).not.toMatch(/gitops-seal: /);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out.trim().split('\n')).toEqual([
      `+ Namespace/${fx.namespace}: created`,
      `+ Secret/${fx.namespace}/db: created`,
      `+ ConfigMap/${fx.namespace}/cfg: created`,
    ]);
    expect(r.err).toMatch(/3 to create, 0 to change, 0 to prune, 0 unchanged/);
    expectNoLeak(r);
  });

  it('after the objects are applied as the daemon would, reports nothing and exits 0', async () => {
    const manager = new ResourceManager(kube, { syncName: fx.syncName });
    await manager.apply(fx.plainObjects);
    await new InventoryStore(kube).save(inventoryOf(fx.syncName, 'test', fx.plainObjects));
    const r = await fx.run(['diff', '-c', config, '-s', fx.syncName]);
    expect(r.err).toMatch(/0 to create, 0 to change, 0 to prune, 3 unchanged/);
    expect(r.out).toBe('');
    expect(r.code).toBe(ExitCode.OK);
  });

  it('a Secret value changed in the cluster is named by key, value withheld, exit 1', async () => {
    await kube.request(`/api/v1/namespaces/${fx.namespace}/secrets/db`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data: { password: Buffer.from(drifted).toString('base64') } },
      query: { fieldManager: 'someone-else' },
    });
    await kube.request(`/api/v1/namespaces/${fx.namespace}/configmaps/cfg`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data: { mode: 'green' } },
      query: { fieldManager: 'someone-else' },
    });
    const r = await fx.run(['diff', '-c', config, '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    const lines = r.out.trim().split('\n');
    expect(lines).toContain(`~ Secret/${fx.namespace}/db: data.password: *** (changed)`);
    expect(lines).toContain(`~ ConfigMap/${fx.namespace}/cfg: data.mode: "green" → "blue"`);
    expect(lines.filter((l) => l.includes('data.username'))).toEqual([]);
    expectNoLeak(r);

    const json = await fx.run(['diff', '-c', config, '-s', fx.syncName, '-o', 'json']);
    expect(json.code).toBe(ExitCode.PROBLEMS);
    const report = JSON.parse(json.out) as {
      objects: { subject: string; action: string; changes: { path: string; redacted?: boolean }[] }[];
    };
    const secret = report.objects.find((o) => o.subject === `Secret/${fx.namespace}/db`);
    expect(secret?.action).toBe('update');
    expect(secret?.changes).toEqual([{ path: 'data.password', redacted: true }]);
    expectNoLeak(json);
  });

  it('an object in the inventory but not in the revision is listed as pruned', async () => {
    const old: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: fx.namespace }, data: { x: 'y' } };
    const manager = new ResourceManager(kube, { syncName: fx.syncName });
    await manager.apply([...fx.plainObjects, old]);
    await new InventoryStore(kube).save(inventoryOf(fx.syncName, 'test', [...fx.plainObjects, old]));
    const r = await fx.run(['diff', '-c', config, '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out.trim().split('\n')).toEqual([`- ConfigMap/${fx.namespace}/old: pruned`]);
    expect(r.err).toMatch(/0 to create, 0 to change, 1 to prune, 3 unchanged/);

    // With prune off the object stays: not a difference, but said on stderr.
    const keep = await fx.run(['diff', '-c', await fx.config({ prune: false }), '-s', fx.syncName]);
    expect(keep.code).toBe(ExitCode.OK);
    expect(keep.out).toBe('');
    expect(keep.err).toMatch(/1 object\(s\) left the revision but prune is off/);
  });

  it('a revision the prune guard would refuse exits 7 after showing the diff', async () => {
    const extra = ['a', 'b', 'c', 'd'].map((n): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `extra-${n}`, namespace: fx.namespace },
    }));
    const manager = new ResourceManager(kube, { syncName: fx.syncName });
    await manager.apply(extra);
    await new InventoryStore(kube).save(inventoryOf(fx.syncName, 'test', [...fx.plainObjects, ...extra]));
    const r = await fx.run(['diff', '-c', config, '-s', fx.syncName]);
    expect(r.code).toBe(ExitCode.REFUSED);
    expect(r.out).toContain(`- ConfigMap/${fx.namespace}/extra-a: pruned`);
    expect(r.err).toMatch(/would refuse this revision: .*refusing to prune/);
  });

  it('an unreachable apiserver: the discovery failure blames only what the sync sets (exit 8)', async () => {
    const kc = join(fx.dir, 'unreachable.kubeconfig');
    await writeFile(
      kc,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'x',
        clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
        contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
        users: [{ name: 'x', user: { token: 'not-used' } }],
      }),
    );
    const plain = await fx.run(['diff', '-c', await fx.config({ kubeconfig: { file: kc } }), '-s', fx.syncName]);
    expect(plain.code).toBe(ExitCode.REMOTE);
    expect(plain.err).toContain(
      `sync "${fx.syncName}": discovery (which kinds are namespaced, to compare each object with the cluster) failed: `,
    );
    expect(plain.err).not.toMatch(/targetNamespace|allowedNamespaces/);
    const ruled = await fx.run([
      'diff',
      '-c',
      await fx.config({ kubeconfig: { file: kc }, targetNamespace: fx.namespace }),
      '-s',
      fx.syncName,
    ]);
    expect(ruled.code).toBe(ExitCode.REMOTE);
    expect(ruled.err).toContain(`sync "${fx.syncName}": discovery (which kinds are namespaced) needed for targetNamespace failed: `);
    expect(ruled.err).not.toContain('allowedNamespaces');
    expectNoLeak(plain);
  });
});

describe('gitops-seal diff on rendered syncs (the daemon render stage, through loadRevision)', () => {
  let kfx: SyncFixture;
  let hfx: SyncFixture;
  let kube: KubeClient;
  beforeAll(async () => {
    [kfx, hfx] = await Promise.all([syncFixture(stack, 'diffk', { render: 'kustomize' }), syncFixture(stack, 'diffh', { render: 'helm' })]);
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  });
  afterAll(async () => {
    try {
      for (const fx of [kfx, hfx]) {
        await kube?.request(`/api/v1/namespaces/${fx.namespace}`, { method: 'DELETE' }).catch(() => undefined);
        await new InventoryStore(kube).remove(fx.syncName).catch(() => undefined);
      }
    } finally {
      kube?.close();
      await Promise.all([kfx?.cleanup(), hfx?.cleanup()]);
    }
  });

  it('a Kustomize sync: created on an empty cluster, unchanged once applied as the daemon would', async () => {
    const config = await kfx.config();
    const before = await kfx.run(['diff', '-c', config, '-s', kfx.syncName]);
    expect(before.err).not.toMatch(/gitops-seal: /);
    expect(before.code).toBe(ExitCode.PROBLEMS);
    expect(before.err).toMatch(/3 to create, 0 to change, 0 to prune, 0 unchanged/);
    await new ResourceManager(kube, { syncName: kfx.syncName }).apply(kfx.plainObjects);
    await new InventoryStore(kube).save(inventoryOf(kfx.syncName, 'test', kfx.plainObjects));
    const after = await kfx.run(['diff', '-c', config, '-s', kfx.syncName]);
    expect(after.err).toMatch(/0 to create, 0 to change, 0 to prune, 3 unchanged/);
    expect(after.code).toBe(ExitCode.OK);
    for (const form of leakForms(kfx.canaries)) expect(before.out + before.err + after.out + after.err).not.toContain(form);
  });

  it('a Helm sync: the release objects in the release namespace, Secret values withheld', async () => {
    await kube.request('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: hfx.namespace } },
    });
    const helm = {
      chart: { git: { path: 'charts/hello' } },
      release: { name: 'hello', namespace: hfx.namespace },
      valuesFiles: [HELM_VALUES_FILE],
    };
    const r = await hfx.run(['diff', '-c', await hfx.config({ helm }), '-s', hfx.syncName]);
    expect(r.err).not.toMatch(/gitops-seal: /);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out.trim().split('\n')).toEqual([`+ Secret/${hfx.namespace}/db: created`, `+ ConfigMap/${hfx.namespace}/cfg: created`]);
    for (const form of leakForms(hfx.canaries)) expect(r.out + r.err).not.toContain(form);
  });
});
