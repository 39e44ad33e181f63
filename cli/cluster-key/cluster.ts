// Talking to the cluster that holds the key: the user's own kubeconfig (--kubeconfig, --context,
// else KUBECONFIG / ~/.kube/config as kubectl), a namespace (the daemon's, default
// gitops-seal-system as deploy/ installs it). The Kubernetes client is imported only when a
// cluster-key command runs, so start-up and `--help` stay light.
import type { KubeClient } from '../../daemon/kube/client.js';
import { CliError, ExitCode, UsageError } from '../errors.js';

/** deploy/namespace.yaml's namespace, where deploy/ runs the daemon. */
export const DEFAULT_NAMESPACE = 'gitops-seal-system';

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

export interface Cluster {
  readonly kube: KubeClient;
  readonly namespace: string;
  /** `context "x"` / `kubeconfig f` / `the current context`, for messages. */
  readonly where: string;
  close(): void;
}

// DNS-1123 label, what the apiserver requires of a namespace name.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function assertNamespace(ns: string): void {
  if (!NAMESPACE.test(ns) || ns.length > 63) throw new UsageError(`invalid namespace '${ns}' (must be a DNS-1123 label)`);
}

function describe(flags: ClusterFlags): string {
  const parts = [
    flags.kubeconfig !== undefined ? `kubeconfig ${flags.kubeconfig}` : '',
    flags.context !== undefined ? `context "${flags.context}"` : '',
  ];
  const s = parts.filter(Boolean).join(', ');
  return s === '' ? 'the current kubeconfig context' : s;
}

export async function connect(flags: ClusterFlags, env: NodeJS.ProcessEnv, resolvePath: (p: string) => string): Promise<Cluster> {
  assertNamespace(flags.namespace);
  const { KubeClient } = await import('../../daemon/kube/client.js');
  const where = describe(flags);
  let kube: KubeClient;
  try {
    kube = await KubeClient.load(
      {
        ...(flags.kubeconfig !== undefined ? { kubeconfig: resolvePath(flags.kubeconfig) } : {}),
        ...(flags.context !== undefined ? { context: flags.context } : {}),
        env,
      },
      { timeoutMs: 15_000 },
    );
  } catch (err) {
    // The daemon's wording speaks of a sync's kubeconfig.file; here it is a flag.
    const msg = (err instanceof Error ? (err.message.split('\n', 1)[0] ?? '') : String(err)).replace(
      'give the sync a kubeconfig.file',
      'pass --kubeconfig',
    );
    throw new CliError(`cannot load Kubernetes credentials (${where}): ${msg}`, ExitCode.REMOTE);
  }
  return { kube, namespace: flags.namespace, where, close: () => kube.close() };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A Kubernetes failure as one CLI line (exit 8): the object, the HTTP status and what it means
 * for the user. The apiserver's messages name objects and verbs, never Secret data.
 */
export function clusterError(cluster: Cluster, object: string, verb: string, err: unknown): CliError {
  const e = err as { name?: unknown; status?: unknown; reason?: unknown; detail?: unknown; message?: unknown };
  const at = `${object} in namespace ${cluster.namespace} (${cluster.where})`;
  if (e?.name === 'KubeApiError' && typeof e.status === 'number') {
    if (e.status === 404) return new CliError(`${at} not found`, ExitCode.REMOTE);
    if (e.status === 401) return new CliError(`${at}: 401 Unauthorized: the kubeconfig's credentials were not accepted`, ExitCode.REMOTE);
    if (e.status === 403) {
      return new CliError(`${at}: 403 Forbidden: these credentials may not ${verb} it (${String(e.detail ?? '')})`, ExitCode.REMOTE);
    }
    return new CliError(`${at}: ${e.status} ${String(e.reason ?? '')}: ${String(e.detail ?? '')}`, ExitCode.REMOTE);
  }
  const msg = err instanceof Error ? (err.message.split('\n', 1)[0] ?? '') : String(err);
  return new CliError(`${at}: cannot reach the Kubernetes API: ${msg}`, ExitCode.REMOTE);
}

/** GET one namespaced object's `data`, or throw clusterError. */
export async function getData(cluster: Cluster, resource: 'configmaps' | 'secrets', name: string): Promise<Record<string, string>> {
  const kind = resource === 'configmaps' ? 'ConfigMap' : 'Secret';
  const path = `/api/v1/namespaces/${encodeURIComponent(cluster.namespace)}/${resource}/${encodeURIComponent(name)}`;
  let obj: unknown;
  try {
    obj = await cluster.kube.request<unknown>(path);
  } catch (err) {
    throw clusterError(cluster, `${kind} ${name}`, 'get', err);
  }
  const data = isRecord(obj) && isRecord(obj['data']) ? obj['data'] : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}
