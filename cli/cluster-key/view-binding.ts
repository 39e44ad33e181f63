// `gitops-seal build` / `diff` of a sync that decrypts with the cluster key apply the daemon's
// scope-binding rule too (the engine's bind stage): they need the cluster's recipients, which the
// daemon publishes in its ConfigMap. Read through the view's own connection with the daemon's
// own reader (ClusterKeyConfigMap); the namespace is the daemon's (GITOPS_SEAL_NAMESPACE, else
// the default the cluster-key commands use).
import type { KubeClient } from '../../daemon/kube/client.js';
import { CliError, ExitCode } from '../errors.js';
import { DEFAULT_NAMESPACE } from './cluster.js';

/**
 * The cluster key's recipients (current and retired) for the bind stage: none when the ConfigMap
 * does not exist (no key yet, so no file can be sealed to it); any other failure — including a
 * ConfigMap without a valid recipient — is an error: a build that cannot check the binding must
 * not show what the daemon would refuse.
 */
export function viewClusterRecipients(kube: KubeClient, env: NodeJS.ProcessEnv): () => Promise<ReadonlySet<string>> {
  const namespace = env['GITOPS_SEAL_NAMESPACE'] || DEFAULT_NAMESPACE;
  return async () => {
    // Loaded when a cluster-key sync is viewed, not at every CLI start (as store-commands.ts).
    const { ClusterKeyConfigMap } = await import('../../daemon/cluster-key/index.js');
    const cm = new ClusterKeyConfigMap(kube, namespace);
    try {
      const pub = await cm.readPublished();
      return new Set(pub ? [pub.recipient, ...pub.retired] : []);
    } catch (err) {
      const cause = err instanceof Error ? err.message : 'error';
      throw new CliError(
        `the sync decrypts with the cluster key, so its scope binding needs ${cm.id} (set GITOPS_SEAL_NAMESPACE to the daemon's namespace): ${cause}`,
        ExitCode.REMOTE,
      );
    }
  };
}
