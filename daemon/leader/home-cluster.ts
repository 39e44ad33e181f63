// The Lease lives in the daemon's "home" cluster — where its own pods run — never in a sync's
// target cluster (a sync's kubeconfig may point anywhere, or several syncs at several clusters).
import { KubeClient, type LoadOptions } from '../kube/client.js';

/** In-cluster when running in a pod without KUBECONFIG; otherwise $KUBECONFIG / ~/.kube/config (current context). */
export function homeLoadOptions(env: NodeJS.ProcessEnv = process.env): LoadOptions {
  return !env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST ? { inCluster: true } : {};
}

export function homeKubeClient(env: NodeJS.ProcessEnv = process.env, maxSockets = 2): Promise<KubeClient> {
  // A few sockets suffice: one GET and one PUT every retry period (sharding asks for more: one
  // PUT per owned shard, in parallel, every retry period).
  return KubeClient.load(homeLoadOptions(env), { maxSockets, userAgent: 'gitops-seal/leader-election', kubeconfigWorker: true });
}
