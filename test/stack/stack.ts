// Starts every component of the test stack and returns one StackInfo. Used by the vitest global
// setup and by `npm run stack` (a person's local stack).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGitServer } from './gitserver.js';
import { kubeBins, startKube } from './kube.js';
import { configureKubernetesAuth, startOpenBao } from './openbao.js';
import { logDir, retryPortClash, stopAll } from './procs.js';
import { startRegistry } from './registry.js';
import { startSshd } from './sshd.js';
import { findRenderers, findTools } from './tools.js';
import type { StackInfo, Started } from './types.js';

const run = promisify(execFile);

/** The ServiceAccount that Vault's kubernetes auth role is bound to. */
export const VAULT_SA = { namespace: 'gitops-seal-system', name: 'gitops-seal' };

export async function startStack(): Promise<Started<StackInfo>> {
  const tools = { ...findTools(), ...findRenderers() };
  const bins = kubeBins();
  const stops: (() => Promise<void>)[] = [];
  try {
    // Independent servers start concurrently; OpenBao's kubernetes auth needs the apiserver.
    // Each server starts again on new ports if another process bound its port first.
    const [kube, vault, registry, git] = await Promise.all([
      startKube(),
      retryPortClash(() => startOpenBao()),
      retryPortClash(() => startRegistry()),
      startGitServer(),
    ]);
    stops.push(kube.stop, vault.stop, registry.stop, git.stop);
    // sshd serves the git server's repositories (the same bare repos over SSH).
    const ssh = await retryPortClash(() => startSshd(git.info.reposDir));
    stops.push(ssh.stop);
    const kubectl = (args: string[]) => run(bins.kubeStack, ['kubectl', `--kubeconfig=${kube.info.kubeconfig}`, ...args]);
    const saManifest = join(logDir(), 'vault-sa.json');
    writeFileSync(
      saManifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: VAULT_SA.namespace } },
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: VAULT_SA },
          {
            // Vault reviews the login JWT with the client's own token: it needs TokenReview.
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: 'gitops-seal-vault-auth-delegator' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
            subjects: [{ kind: 'ServiceAccount', ...VAULT_SA }],
          },
        ],
      }),
    );
    await kubectl(['apply', '-f', saManifest]);
    vault.info.kubernetesAuth = await configureKubernetesAuth(vault.info, kube.info, VAULT_SA);
    const info: StackInfo = {
      kube: kube.info,
      vault: vault.info,
      registry: registry.info,
      git: git.info,
      ssh: ssh.info,
      bins: { ...tools, kubectl: join(bins.kubeStack, '..', 'kubectl'), kwok: bins.kwok },
      logDir: logDir(),
    };
    return {
      info,
      stop: async () => {
        for (const s of stops.reverse()) await s().catch(() => undefined);
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
