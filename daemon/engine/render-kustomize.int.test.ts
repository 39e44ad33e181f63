// Smoke of a Kustomize sync through the engine on the stack's real kube-apiserver, with the
// real kustomize: an overlay whose base holds a SOPS-encrypted Secret applies (the Secret
// decrypted in memory, name-prefixed and labelled by the overlay) and prunes what a commit
// removes; a tampered Secret and a broken kustomization refuse the revision — nothing applied,
// nothing pruned, the file named. Fixtures: testdata/kustomize (README.md there).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeCanary } from '../../test/reliability/canary.js';
import { renderSyncSandbox, type RenderSyncSandbox } from '../../test/support/render-sync.js';
import { AggregateDecryptError } from '../decrypt/index.js';
import { RevisionError } from './errors.js';
import { reconcile, type SyncDeps } from './reconcile.js';

const stack = inject('stack');
const CANARY = makeCanary('engine-kustomize');
let sb: RenderSyncSandbox;
let NS: string;
let deps: SyncDeps;

const secret = (password: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;
const encrypted = (text: string, path: string): Promise<string> => sb.encrypt(text, path, '^(data|stringData)$');
const get = (kind: 'configmaps' | 'secrets', name: string): Promise<Record<string, unknown> | undefined> => sb.get(kind, name);

beforeAll(async () => {
  // Unique per run: the stack is shared with other test runs.
  sb = await renderSyncSandbox(stack.kube.kubeconfig, 'render-kust');
  NS = sb.ns;
  sb.repo.copy(new URL('./testdata/kustomize/apps', import.meta.url).pathname, 'apps');
  sb.repo.write('apps/base/secret.sops.yaml', await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml'));
  deps = sb.deps({
    name: NS,
    path: 'apps/staging',
    prune: true,
    force: true,
    wait: false,
    timeoutMs: 30_000,
    maxPruneRatio: 1,
    allowEmpty: false,
    targetNamespace: NS,
  });
});

afterAll(async () => {
  await sb?.cleanup();
});

describe('a Kustomize sync on the real apiserver', () => {
  it('applies the overlay with its encrypted Secret decrypted, then prunes what a commit removed', async () => {
    const first = await reconcile(deps, await sb.repo.commit('overlay'));
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

    sb.repo.write('apps/base/kustomization.yaml', 'resources:\n  - secret.sops.yaml\n');
    const second = await reconcile(deps, await sb.repo.commit('drop the ConfigMap'), first);
    expect(second.pruned).toBe(1);
    expect(await get('configmaps', 'staging-cfg')).toBeUndefined();
    expect(await get('secrets', 'staging-db')).toBeDefined();
  });

  it('refuses a tampered Secret at decrypt and a broken kustomization at render: nothing applied, nothing pruned', async () => {
    const good = await reconcile(deps, await sb.repo.commit('baseline'));
    const before = await get('secrets', 'staging-db');
    // A new object in the same commit as the tamper: it must not be created.
    sb.repo.write('apps/base/new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {a: b}\n');
    sb.repo.write('apps/base/kustomization.yaml', 'resources:\n  - secret.sops.yaml\n  - new.yaml\n');
    const text = await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml');
    sb.repo.write('apps/base/secret.sops.yaml', text.replace(/name: db/, 'name: db-renamed'));
    const tampered = await reconcile(deps, await sb.repo.commit('tamper'), good).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(RevisionError);
    expect((tampered as RevisionError).stage).toBe('decrypt');
    expect((tampered as RevisionError).problems[0]).toMatch(/^apps\/base\/secret\.sops\.yaml: /);
    expect((tampered as RevisionError).cause).toBeInstanceOf(AggregateDecryptError);
    expect(((tampered as RevisionError).cause as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['tampered']);
    expect((tampered as Error).message).not.toContain(CANARY);

    sb.repo.write('apps/base/secret.sops.yaml', await encrypted(secret(CANARY), 'apps/base/secret.sops.yaml'));
    sb.repo.write('apps/staging/kustomization.yaml', 'resources:\n  - ../base\n  - missing.yaml\n');
    const broken = await reconcile(deps, await sb.repo.commit('broken'), good).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(RevisionError);
    expect((broken as RevisionError).stage).toBe('render');
    expect((broken as Error).message).toContain('apps/staging/kustomization.yaml');
    expect((broken as Error).message).toContain('missing.yaml');

    expect(await get('configmaps', 'staging-new')).toBeUndefined();
    expect((await get('secrets', 'staging-db'))?.metadata).toEqual(before?.metadata);
  });
});
