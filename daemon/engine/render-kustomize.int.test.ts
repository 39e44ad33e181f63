// Smoke of a Kustomize sync through the engine on the stack's real kube-apiserver, with the
// real kustomize: an overlay whose base holds a SOPS-encrypted Secret applies (the Secret
// decrypted in memory, name-prefixed and labelled by the overlay) and prunes what a commit
// removes; a tampered Secret and a broken kustomization refuse the revision — nothing applied,
// nothing pruned, the file named. Fixtures: testdata/kustomize (README.md there).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity, type KeyContext } from '../../keys/index.js';
import { makeCanary } from '../../test/reliability/canary.js';
import { findRenderers } from '../../test/stack/tools.js';
import { testRepo, type TestRepo } from '../../test/support/git-revision.js';
import { AggregateDecryptError } from '../decrypt/index.js';
import { ResourceManager } from '../apply/index.js';
import { InventoryStore } from '../inventory/inventory.js';
import { KubeClient } from '../kube/client.js';
import { RevisionError } from './errors.js';
import { reconcile, type SyncDeps } from './reconcile.js';
import { newRenderCaches } from './stages/render-context.js';
import type { SyncSettings } from './settings.js';

const stack = inject('stack');
// Unique per run: the stack is shared with other test runs.
const NS = `render-kust-${Date.now().toString(36)}`;
const CANARY = makeCanary('engine-kustomize');
let client: KubeClient;
let repo: TestRepo;
let keys: KeyContext;
let recipient: string;
let deps: SyncDeps;

const settings: SyncSettings = {
  name: NS,
  path: 'apps/staging',
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 30_000,
  maxPruneRatio: 1,
  allowEmpty: false,
  targetNamespace: NS,
};

const secret = (password: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;

async function encrypted(text: string, path: string): Promise<string> {
  return encryptText(
    text,
    { format: 'yaml', source: path, keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
    {},
  );
}

async function get(kind: 'configmaps' | 'secrets', name: string): Promise<Record<string, unknown> | undefined> {
  return client.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${NS}/${kind}/${name}`);
}

beforeAll(async () => {
  client = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  await client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  const id = await generateAgeIdentity();
  keys = { ageIdentities: [id.identity] };
  recipient = id.recipient;
  repo = await testRepo();
  repo.copy(new URL('./testdata/kustomize/apps', import.meta.url).pathname, 'apps');
  repo.write('apps/base/secret.sops.yaml', await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml'));
  const bins = findRenderers();
  deps = {
    settings,
    manager: new ResourceManager(client, { syncName: NS, defaultNamespace: NS }),
    inventory: new InventoryStore(client, { namespace: NS }),
    keys,
    render: { renderers: { kustomize: bins.kustomize, helm: bins.helm }, caches: newRenderCaches() },
  };
});

afterAll(async () => {
  await client?.request(`/api/v1/namespaces/${NS}`, { method: 'DELETE' }).catch(() => undefined);
  client?.close();
  repo?.remove();
});

describe('a Kustomize sync on the real apiserver', () => {
  it('applies the overlay with its encrypted Secret decrypted, then prunes what a commit removed', async () => {
    const first = await reconcile(deps, await repo.commit('overlay'));
    expect(first.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      `ConfigMap/${NS}/staging-cfg`,
      `Secret/${NS}/staging-db`,
    ]);
    expect(first.decryptedFiles).toEqual(['apps/base/secret.sops.yaml']);
    expect(first.fileOf?.get(`Secret/${NS}/staging-db`)).toBe('apps/base/secret.sops.yaml');
    const s = await get('secrets', 'staging-db');
    expect(Buffer.from((s?.data as { password: string }).password, 'base64').toString()).toBe(CANARY);
    expect((s?.metadata as { labels: Record<string, string> }).labels.env).toBe('staging');
    expect(s?.sops).toBeUndefined();

    repo.write('apps/base/kustomization.yaml', 'resources:\n  - secret.sops.yaml\n');
    const second = await reconcile(deps, await repo.commit('drop the ConfigMap'), first);
    expect(second.pruned).toBe(1);
    expect(await get('configmaps', 'staging-cfg')).toBeUndefined();
    expect(await get('secrets', 'staging-db')).toBeDefined();
  });

  it('refuses a tampered Secret at decrypt and a broken kustomization at render: nothing applied, nothing pruned', async () => {
    const good = await reconcile(deps, await repo.commit('baseline'));
    const before = await get('secrets', 'staging-db');
    // A new object in the same commit as the tamper: it must not be created.
    repo.write('apps/base/new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {a: b}\n');
    repo.write('apps/base/kustomization.yaml', 'resources:\n  - secret.sops.yaml\n  - new.yaml\n');
    const text = await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml');
    repo.write('apps/base/secret.sops.yaml', text.replace(/name: db/, 'name: db-renamed'));
    const tampered = await reconcile(deps, await repo.commit('tamper'), good).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(RevisionError);
    expect((tampered as RevisionError).stage).toBe('decrypt');
    expect((tampered as RevisionError).problems[0]).toMatch(/^apps\/base\/secret\.sops\.yaml: /);
    expect((tampered as RevisionError).cause).toBeInstanceOf(AggregateDecryptError);
    expect(((tampered as RevisionError).cause as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['tampered']);
    expect((tampered as Error).message).not.toContain(CANARY);

    repo.write('apps/base/secret.sops.yaml', await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml'));
    repo.write('apps/staging/kustomization.yaml', 'resources:\n  - ../base\n  - missing.yaml\n');
    const broken = await reconcile(deps, await repo.commit('broken'), good).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(RevisionError);
    expect((broken as RevisionError).stage).toBe('render');
    expect((broken as Error).message).toContain('apps/staging/kustomization.yaml');
    expect((broken as Error).message).toContain('missing.yaml');

    expect(await get('configmaps', 'staging-new')).toBeUndefined();
    expect((await get('secrets', 'staging-db'))?.metadata).toEqual(before?.metadata);
  });
});
