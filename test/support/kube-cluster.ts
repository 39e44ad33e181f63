// Test helper for integration tests (*.int.test.ts) of daemon/{kube,apply,inventory}: a real
// control plane started with test/stack/kube.ts in its own directory, and a KubeClient for it.
// (To be switched to the shared global stack `inject('stack').kube` by the lead.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { kubeBins, startKube } from '../stack/kube.js';
import type { KubeInfo } from '../stack/types.js';
import { KubeClient } from '../../daemon/kube/client.js';

export interface TestCluster {
  info: KubeInfo;
  client: KubeClient;
  /** kubectl of the same build (a symlink to kube-stack beside it). */
  kubectl: string;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Audit log of every write (info.auditLog; read it with test/support/audit-log.ts). */
  audit?: boolean;
  /** kwok fake nodes (default 3). */
  nodes?: number;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const started = await startKube({
    dir: mkdtempSync(join(tmpdir(), 'gitops-seal-kube-')),
    ...(opts.audit ? { audit: true } : {}),
    ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
  });
  const client = await KubeClient.load({ kubeconfig: started.info.kubeconfig });
  return {
    info: started.info,
    client,
    kubectl: join(dirname(kubeBins().kubeStack), 'kubectl'),
    stop: async () => {
      client.close();
      await started.stop();
    },
  };
}
