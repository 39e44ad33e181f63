// Where the cluster recipient comes from: the ConfigMap the daemon publishes (read with the
// user's kubeconfig: `get` on that one object is all it takes), or `GET /keys` on the daemon's
// status server. Either way the fingerprint is recomputed from the recipient and must match.
import { getClusterKeys, daemonUrl } from '../daemon-client.js';
import { CliError, ExitCode, toCliError } from '../errors.js';
import type { KeysApi } from '../keys-api.js';
import { connect, getData, type ClusterFlags } from './cluster.js';

export interface SourceFlags extends ClusterFlags {
  url?: string;
  timeout: number;
}

export interface FetchedClusterKey {
  readonly recipient: string;
  readonly fingerprint: string;
  readonly created: string;
  readonly retired: readonly string[];
  /** Where it was read, for messages: `ConfigMap ns/name (context "x")` or the URL. */
  readonly source: string;
}

type Keys = Pick<KeysApi, 'publicFromConfigMapData' | 'CLUSTER_KEY_CONFIGMAP'>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The /keys JSON (ClusterKeyPublic) in the ConfigMap's string form, so one parser checks both. */
function asConfigMapData(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['recipient', 'fingerprint', 'created'] as const) if (typeof body[f] === 'string') out[f] = body[f];
  const retired = body['retired'];
  if (Array.isArray(retired)) out['retired'] = retired.filter((r): r is string => typeof r === 'string').join('\n');
  return out;
}

export async function fetchClusterKey(
  keys: Keys,
  flags: SourceFlags,
  env: NodeJS.ProcessEnv,
  resolvePath: (p: string) => string,
): Promise<FetchedClusterKey> {
  if (flags.url !== undefined) {
    const base = daemonUrl(flags.url, env);
    const body = await getClusterKeys(base, flags.timeout);
    const source = `${base}/keys`;
    if (body === undefined) {
      throw new CliError(
        `${source}: not found: the daemon publishes no cluster key (is clusterKey enabled in its DaemonConfig?)`,
        ExitCode.REMOTE,
      );
    }
    try {
      return { ...keys.publicFromConfigMapData(asConfigMapData(isRecord(body) ? body : {}), source), source };
    } catch (err) {
      throw toCliError(err);
    }
  }
  const cluster = await connect(flags, env, resolvePath);
  try {
    const name = keys.CLUSTER_KEY_CONFIGMAP;
    let data: Record<string, string>;
    try {
      data = await getData(cluster, 'configmaps', name);
    } catch (err) {
      if (err instanceof CliError && / not found$/.test(err.message)) {
        throw new CliError(
          `${err.message} (is clusterKey enabled in the daemon's DaemonConfig, and is --namespace the daemon's?)`,
          err.exitCode,
        );
      }
      throw err;
    }
    const source = `ConfigMap ${cluster.namespace}/${name} (${cluster.where})`;
    try {
      return { ...keys.publicFromConfigMapData(data, source), source };
    } catch (err) {
      throw toCliError(err);
    }
  } finally {
    cluster.close();
  }
}
