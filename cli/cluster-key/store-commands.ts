// `cluster-key restore` and `rotate`, through the daemon's ClusterKeyStore (daemon/cluster-key/):
// the very code the daemon creates and rotates the key with writes it here too, with the same
// concurrency rules (a PUT carrying the resourceVersion read), so a CLI rotation racing the
// daemon's adds one key, and a restore never overwrites a key it did not see.
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { connect, type Cluster, type ClusterFlags } from './cluster.js';
import { readBackup, type RestoreFlags } from './private-commands.js';

type StoreModule = typeof import('../../daemon/cluster-key/index.js');

async function withStore<T>(
  ctx: CliContext,
  flags: ClusterFlags,
  fn: (store: InstanceType<StoreModule['ClusterKeyStore']>, cluster: Cluster) => Promise<T>,
): Promise<T> {
  const { ClusterKeyStore, ClusterKeyError } = await import('../../daemon/cluster-key/index.js');
  const cluster = await connect(flags, ctx.env, ctx.resolvePath);
  try {
    return await fn(new ClusterKeyStore(cluster.kube, cluster.namespace), cluster);
  } catch (err) {
    if (err instanceof ClusterKeyError) {
      // 409 without --merge, a missing Secret: the user's to fix (5 would say .sops.yaml; 6 is input).
      const code = err.status === undefined || err.status === 409 || err.status === 404 ? ExitCode.IO : ExitCode.REMOTE;
      throw new CliError(`${err.message} (${cluster.where})`, err.status === 403 || err.status === 401 ? ExitCode.REMOTE : code);
    }
    throw err;
  } finally {
    cluster.close();
  }
}

const PUBLISH_NOTE = 'the daemon publishes the current recipient (ConfigMap, /keys) at its next check (spec.clusterKey.checkInterval)';

export async function runRestore(ctx: CliContext, flags: RestoreFlags): Promise<void> {
  const keys = await ctx.keys();
  // Decrypted and checked before the cluster is touched: a wrong identity or a damaged backup
  // costs no API call and leaves the Secret as it was.
  const text = await readBackup(ctx, flags);
  const label = flags.from === '-' ? '(stdin)' : flags.from;
  const identities = await keys.parseClusterIdentities(text, label);
  const result = await withStore(ctx, flags, (store) => store.restore(identities, { merge: flags.merge === true }));
  const list = result.key.identities;
  const current = keys.publicClusterKey(list);
  const verb = result.changed ? 'restored' : 'unchanged (it already holds every identity of the backup)';
  ctx.stdout.write(
    `Secret ${flags.namespace}/${keys.CLUSTER_KEY_SECRET}: ${verb}: ${list.length} identit${list.length === 1 ? 'y' : 'ies'}, current ${current.fingerprint}\n`,
  );
  if (result.changed) ctx.stderr.write(`cluster-key: ${PUBLISH_NOTE}\n`);
}

export async function runRotate(ctx: CliContext, flags: ClusterFlags): Promise<void> {
  const keys = await ctx.keys();
  const result = await withStore(ctx, flags, (store) => store.rotate());
  const current = keys.publicClusterKey(result.key.identities);
  const retired = result.key.identities.length - 1;
  ctx.stdout.write(
    `Secret ${flags.namespace}/${keys.CLUSTER_KEY_SECRET}: ${result.changed ? 'rotated' : 'already rotated by someone else'}: current ${current.fingerprint}, ${retired} retired\n`,
  );
  ctx.stderr.write(
    `cluster-key: ${PUBLISH_NOTE}; then pin it with \`gitops-seal cluster-key add PATH_REGEX --accept-rotation\`, ` +
      'move files with `gitops-seal updatekeys`, and make a new backup (`gitops-seal cluster-key backup`)\n',
  );
}
