// Where the Kubernetes credentials come from, decided before client-node is asked to load them.
//
// client-node's loadFromDefault() falls back, when it finds nothing, to an unauthenticated
// http://localhost:8080 cluster that it then refuses itself ("HTTP protocol is not allowed when
// skipTLSVerify is not set or false"): a cause that names nothing the user did. So the places
// are checked here, in the order kubectl and client-node use — $KUBECONFIG (a path list;
// missing entries skipped, as kubectl does), ~/.kube/config, the pod's ServiceAccount — and
// when none is usable the error says what was looked for and where.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where a pod's ServiceAccount token and CA are mounted (client-go and client-node read the same). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What KubeClient.load is asked for (a sync's kubeconfig, or the daemon's home cluster). */
export interface LoadOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG / ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  /** Context name inside the kubeconfig; default: its current-context. */
  context?: string;
  /** Use the pod's ServiceAccount (KUBERNETES_SERVICE_HOST + token file). */
  inCluster?: boolean;
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_* from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Credentials could not be found or loaded; the message names the places and files involved. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** Kubeconfig files to load, in order (later files merge into the first), or the pod's ServiceAccount. */
export type KubeconfigLocation = { files: string[]; context?: string } | { inCluster: true };

function inClusterProblem(env: NodeJS.ProcessEnv, saDir: string): string | undefined {
  const missing: string[] = [];
  if (!env.KUBERNETES_SERVICE_HOST) missing.push('KUBERNETES_SERVICE_HOST is not set');
  if (!env.KUBERNETES_SERVICE_PORT) missing.push('KUBERNETES_SERVICE_PORT is not set');
  if (!existsSync(join(saDir, 'token'))) missing.push(`${join(saDir, 'token')} does not exist`);
  return missing.length > 0 ? missing.join(', ') : undefined;
}

/**
 * Decide where the credentials come from, or throw a KubeconfigError naming every place that
 * was looked at. `saDir` is the ServiceAccount mount (tests point it elsewhere).
 */
export function locateKubeconfig(load: LoadOptions, saDir = SERVICE_ACCOUNT_DIR): KubeconfigLocation {
  const env = load.env ?? process.env;
  const ctx = load.context ? { context: load.context } : {};
  if (load.inCluster) {
    const problem = inClusterProblem(env, saDir);
    if (problem) {
      throw new KubeconfigError(
        `in-cluster Kubernetes credentials are incomplete: ${problem} (is automountServiceAccountToken false? set KUBECONFIG to use a kubeconfig instead)`,
      );
    }
    return { inCluster: true };
  }
  if (load.kubeconfig) return { files: [load.kubeconfig], ...ctx };
  const looked: string[] = [];
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (listed.length > 0) {
    const files = listed.filter((f) => existsSync(f));
    if (files.length > 0) return { files, ...ctx };
    // kubectl stops here too: a KUBECONFIG that names only missing files is not replaced by ~/.kube/config.
    throw new KubeconfigError(`no Kubernetes credentials found: KUBECONFIG=${listed.join(delimiter)} names no existing file`);
  }
  looked.push('KUBECONFIG (not set)');
  const home = env.HOME;
  if (home) {
    const file = join(home, '.kube', 'config');
    if (existsSync(file)) return { files: [file], ...ctx };
    looked.push(`${file} (does not exist)`);
  } else {
    looked.push('~/.kube/config (HOME is not set)');
  }
  const problem = inClusterProblem(env, saDir);
  if (!problem) return { inCluster: true };
  looked.push(`in-cluster ServiceAccount (${problem})`);
  throw new KubeconfigError(
    `no Kubernetes credentials found; looked for ${looked.join(', ')}. Set KUBECONFIG, give the sync a kubeconfig.file, or run in a pod with a ServiceAccount token`,
  );
}

/** One line from whatever client-node threw while reading a kubeconfig, naming the file(s). */
export function kubeconfigLoadError(where: KubeconfigLocation, err: unknown): KubeconfigError {
  if (err instanceof KubeconfigError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  const cause =
    code === 'ENOENT' ? 'no such file (ENOENT)' : code === 'EACCES' ? 'permission denied (EACCES)' : (text.split('\n', 1)[0] ?? text);
  const what = 'inCluster' in where ? 'in-cluster ServiceAccount' : `kubeconfig ${where.files.join(delimiter)}`;
  return new KubeconfigError(`${what}: ${cause}`);
}
