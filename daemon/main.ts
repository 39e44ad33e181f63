#!/usr/bin/env node
// gitops-seal-daemon --config FILE [--once] [--listen ADDR] [--data-dir DIR] [--leader-elect …] [--shutdown-timeout 25s]
//
// Exit codes (EXIT_CODES below, printed by --help): 0 after a graceful shutdown (SIGTERM/SIGINT)
// or a successful --once; 1 when --once failed, when this replica lost its Lease (the pod
// restarts as a fresh follower, as controller-runtime does), when shutdown overran
// --shutdown-timeout, or the daemon could not start (listen address taken, data dir unwritable);
// 2 when nothing could run: bad flags, a bad or empty config, no usable Kubernetes credentials.
// Every error is one line on stderr, `gitops-seal-daemon: <cause>`, never a stack trace.
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, idleSources, loadConfig, nothingToDo, parseDuration } from './config/index.js';
import { KubeconfigError } from './kube/locate.js';
import { Daemon } from './daemon.js';
import { LeaderElectionConfigError, leaderElectionOptions, type LeaderElectionOptions } from './leader/index.js';
import { createLogger } from './log.js';
import { defaultAdvertiseUrl, parseShards, shardingOptions, type ShardingOptions } from './shard/index.js';

function duration(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function durationOption(flags: string, description: string, fallback: string): Option {
  return new Option(flags, description).argParser(duration).default(parseDuration(fallback), fallback);
}

const EXIT_CODES = `
Exit codes:
  0  --once: every sync applied; otherwise a graceful shutdown (SIGTERM/SIGINT)
  1  --once: a source or sync failed; lost the leader Lease (or a shard's); shutdown overran --shutdown-timeout;
     could not start (listen address taken, data dir not writable)
  2  usage or bad config: unknown flag or value, invalid DaemonConfig, a config with nothing to
     do, no usable Kubernetes credentials (nothing ran)
`;

const program = new Command('gitops-seal-daemon')
  .description('Keep Kubernetes clusters equal to Git, with SOPS-encrypted Secrets decrypted in memory')
  .requiredOption('-c, --config <file>', 'DaemonConfig YAML file')
  .option('--once', 'reconcile every sync once and exit (0 on success, 1 on any failure)')
  .option('--listen <addr>', 'override spec.listen (host:port)')
  .option('--data-dir <dir>', 'where Git object stores are kept', process.env.GITOPS_SEAL_DATA ?? '.gitops-seal')
  .option('--inventory-namespace <ns>', 'namespace of the inventory ConfigMaps', 'gitops-seal-system')
  .option('--leader-elect', 'run several replicas: only the holder of a coordination.k8s.io Lease applies and writes back', false)
  .option(
    '--leader-election-namespace <ns>',
    "the daemon's own namespace: the Lease's and the cluster key's (in-cluster, or the current KUBECONFIG context)",
    'gitops-seal-system',
  )
  .option('--leader-election-id <name>', 'name of the Lease', 'gitops-seal')
  .addOption(
    durationOption('--leader-elect-lease-duration <duration>', 'how long followers wait after the last renewal before taking over', '10s'),
  )
  .addOption(
    durationOption('--leader-elect-renew-deadline <duration>', 'how long the leader retries renewing before it stops applying', '7s'),
  )
  .addOption(durationOption('--leader-elect-retry-period <duration>', 'interval between tries to acquire or renew', '2s'))
  .option(
    '--shards <N|auto>',
    'spread syncs over the replicas by N shard Leases (auto: one per sync, at most 64); implies Leases, no --leader-elect needed',
  )
  .option('--advertise-url <url>', "how peer replicas reach this one's listener (default http://$POD_IP:<listen port>)")
  .addOption(
    durationOption(
      '--shutdown-timeout <duration>',
      'on SIGTERM, finish in-flight work, release the Lease and exit within this (keep it below the pod grace period)',
      '25s',
    ),
  )
  .addHelpText('after', EXIT_CODES)
  // A usage error is one line and exit 2 (the full help would bury the cause in a pod's log).
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(`gitops-seal-daemon: ${s.trim().replace(/^error: /, '')} (see --help)\n`) });

try {
  program.parse();
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // --help and --version exit 0; commander has already printed the error line.
  process.exit(err.exitCode === 0 ? 0 : 2);
}
const opts = program.opts<{
  config: string;
  once?: boolean;
  listen?: string;
  dataDir: string;
  inventoryNamespace: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  shutdownTimeout: number;
  shards?: string;
  advertiseUrl?: string;
}>();
const log = createLogger();

function fail(code: number, message: string): never {
  process.stderr.write(`gitops-seal-daemon: ${message}\n`);
  process.exit(code);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let config;
try {
  config = await loadConfig(opts.config);
} catch (err) {
  fail(2, err instanceof ConfigError || err instanceof Error ? err.message : String(err));
}
const idle = nothingToDo(config, { once: opts.once === true });
if (idle) fail(2, `${resolve(opts.config)}: ${idle}`);

for (const source of idleSources(config)) log.warn({ source }, 'source is used by no sync and no imageUpdate: it is fetched for nothing');
if (config.spec.syncs.length === 0) log.info('no syncs: running image automation only');

let leaderElection: LeaderElectionOptions | undefined;
let sharding: ShardingOptions | undefined;
if ((opts.leaderElect || opts.shards !== undefined) && !opts.once) {
  try {
    leaderElection = leaderElectionOptions({
      namespace: opts.leaderElectionNamespace,
      name: opts.leaderElectionId,
      leaseDurationMs: opts.leaderElectLeaseDuration,
      renewDeadlineMs: opts.leaderElectRenewDeadline,
      retryPeriodMs: opts.leaderElectRetryPeriod,
    });
    if (opts.shards !== undefined) {
      const shards = parseShards(opts.shards, config.spec.syncs.length);
      const advertise = opts.advertiseUrl ?? defaultAdvertiseUrl(process.env, opts.listen ?? config.spec.listen);
      if (advertise !== undefined && !/^https?:\/\/[^/]+/.test(advertise))
        throw new LeaderElectionConfigError(`--advertise-url "${advertise}" must be an http(s) URL`);
      // Sharding replaces the leader Lease: the owner of shard 0 does what the leader did.
      sharding = shardingOptions(leaderElection, shards, advertise);
      leaderElection = undefined;
    }
  } catch (err) {
    fail(2, err instanceof LeaderElectionConfigError ? err.message : String(err));
  }
}

const daemon = new Daemon(config, {
  dataDir: opts.dataDir,
  log,
  inventoryNamespace: opts.inventoryNamespace,
  homeNamespace: opts.leaderElectionNamespace,
  ...(opts.listen ? { listen: opts.listen } : {}),
  ...(leaderElection ? { leaderElection } : {}),
  ...(sharding ? { sharding } : {}),
  // Exit at once rather than become a follower in the same process (controller-runtime does the
  // same): an apply still in flight must not go on while another replica may lead, and the pod
  // restarts with fresh state. The engine's write order makes a stop at any point consistent.
  onLostLeadership: () => process.exit(1),
});
/** Start-up failures: missing credentials are a configuration problem (2), the rest a failed run (1). */
function startFailed(err: unknown): never {
  fail(err instanceof KubeconfigError ? 2 : 1, message(err));
}

await daemon.init().catch(startFailed);
if (opts.once) {
  const errors = await daemon.once();
  await daemon.stop();
  for (const e of errors) process.stderr.write(`gitops-seal-daemon: ${e.message}\n`);
  process.exit(errors.length === 0 ? 0 : 1);
}
await daemon.start().catch(startFailed);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info({ signal: sig, timeoutMs: opts.shutdownTimeout }, 'shutting down');
    // Last resort: daemon.stop() keeps within the timeout on its own; if a call hangs past it,
    // exit anyway before the kubelet's SIGKILL (the inventory is consistent at every point).
    setTimeout(() => {
      log.error({ timeoutMs: opts.shutdownTimeout }, 'shutdown overran the timeout; exiting');
      process.exit(1);
    }, opts.shutdownTimeout).unref();
    void daemon.stop({ timeoutMs: opts.shutdownTimeout }).then(() => process.exit(0));
  });
}
