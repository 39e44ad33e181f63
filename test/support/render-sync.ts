// Shared by the engine's render smoke tests (daemon/engine/render-*.int.test.ts): a namespace of
// its own on the stack's apiserver, a fresh age key, a real Git work tree, and the SyncDeps the
// daemon's SyncController would build for a rendered sync (the stack's renderer builds, render
// caches, capabilities from the cluster, isUpgrade from the inventory).
import { encryptText, generateAgeIdentity, type KeyContext } from '../../keys/index.js';
import { ResourceManager } from '../../daemon/apply/index.js';
import { clusterCapabilities, newRenderCaches, type SyncDeps, type SyncSettings } from '../../daemon/engine/index.js';
import { InventoryStore } from '../../daemon/inventory/inventory.js';
import { KubeClient } from '../../daemon/kube/client.js';
import { findRenderers } from '../stack/tools.js';
import { testRepo, type TestRepo } from './git-revision.js';

export interface RenderSyncSandbox {
  client: KubeClient;
  /** The namespace (also the sync's name and the inventory's namespace). */
  ns: string;
  keys: KeyContext;
  repo: TestRepo;
  /** SOPS-encrypt YAML to the sandbox's key (`regex`: only matching keys, as Flux users set it). */
  encrypt(text: string, path: string, regex?: string): Promise<string>;
  deps(settings: SyncSettings): SyncDeps;
  /** An object of the namespace, or undefined when it does not exist. */
  get(kind: 'configmaps' | 'secrets' | 'pods', name: string): Promise<Record<string, unknown> | undefined>;
  cleanup(): Promise<void>;
}

export async function renderSyncSandbox(kubeconfig: string, label: string): Promise<RenderSyncSandbox> {
  const ns = `${label}-${Date.now().toString(36)}`;
  const client = await KubeClient.load({ kubeconfig });
  await client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  const id = await generateAgeIdentity();
  const repo = await testRepo();
  const bins = findRenderers();
  return {
    client,
    ns,
    keys: { ageIdentities: [id.identity] },
    repo,
    encrypt: (text, path, regex) =>
      encryptText(
        text,
        { format: 'yaml', source: path, keys: { age: [id.recipient] }, ...(regex ? { rule: { encryptedRegex: regex } } : {}) },
        {},
      ),
    deps(settings) {
      const manager = new ResourceManager(client, { syncName: settings.name, defaultNamespace: ns });
      const inventory = new InventoryStore(client, { namespace: ns });
      return {
        settings,
        manager,
        inventory,
        keys: { ageIdentities: [id.identity] },
        render: {
          renderers: { kustomize: bins.kustomize, helm: bins.helm },
          caches: newRenderCaches(),
          capabilities: () => clusterCapabilities(client, manager.mapper),
          isUpgrade: async () => ((await inventory.load(settings.name))?.entries.length ?? 0) > 0,
        },
      };
    },
    get: (kind, name) => client.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${ns}/${kind}/${name}`),
    async cleanup() {
      await client.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
      client.close();
      repo.remove();
    },
  };
}
