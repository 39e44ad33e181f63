// `gitops-seal build` / `diff` of a sync that decrypts with the cluster key apply the daemon's
// scope-binding rule too (the engine's bind stage): they need the cluster's recipients, which the
// daemon publishes in its ConfigMap. Read through the view's own connection; the namespace is the
// daemon's (GITOPS_SEAL_NAMESPACE, else the default the cluster-key commands use).
import { CLUSTER_KEY_CONFIGMAP, publicFromConfigMapData } from '../../keys/index.js';
import type { KubeClient } from '../../daemon/kube/client.js';
import { KubeApiError } from '../../daemon/kube/errors.js';
import { CliError, ExitCode } from '../errors.js';
import { DEFAULT_NAMESPACE } from './cluster.js';

/**
 * The cluster key's recipients (current and retired) for the bind stage: none when the ConfigMap
 * does not exist (no key yet, so no file can be sealed to it); any other failure is an error —
 * a build that cannot check the binding must not show what the daemon would refuse.
 */
export function viewClusterRecipients(kube: KubeClient, env: NodeJS.ProcessEnv): () => Promise<ReadonlySet<string>> {
  const namespace = env['GITOPS_SEAL_NAMESPACE'] || DEFAULT_NAMESPACE;
  const object = `ConfigMap ${namespace}/${CLUSTER_KEY_CONFIGMAP}`;
  return async () => {
    let obj: { data?: Record<string, string> };
    try {
      obj = await kube.request<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${CLUSTER_KEY_CONFIGMAP}`,
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return new Set<string>();
      const cause = err instanceof Error ? err.message : 'error';
      throw new CliError(
        `the sync decrypts with the cluster key, so its scope binding needs ${object} (set GITOPS_SEAL_NAMESPACE to the daemon's namespace): ${cause}`,
        ExitCode.REMOTE,
      );
    }
    const pub = publicFromConfigMapData(obj.data, object);
    return new Set([pub.recipient, ...pub.retired]);
  };
}
