// `cluster-key restore` and `rotate`, through the daemon's ClusterKeyStore (daemon/cluster-key/):
// the same code that creates the key writes it back, so the Secret and the ConfigMap it publishes
// stay consistent whoever changes them.
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { ClusterFlags } from './cluster.js';
import type { RestoreFlags } from './private-commands.js';

export async function runRestore(_ctx: CliContext, _flags: RestoreFlags): Promise<void> {
  throw new CliError('restore: not yet available', ExitCode.USAGE);
}

export async function runRotate(_ctx: CliContext, _flags: ClusterFlags): Promise<void> {
  throw new CliError('rotate: not yet available', ExitCode.USAGE);
}
