// Settings of sharding (--shards) on top of the leader-election timing flags.
import { LeaderElectionConfigError, type LeaderElectionOptions } from '../leader/index.js';

/** The most shards `--shards auto` picks (one Lease each, renewed every retry period). */
export const AUTO_SHARDS_MAX = 64;

export interface ShardingOptions {
  /** --leader-election-id: the group id G of the Lease names. */
  group: string;
  namespace: string;
  identity: string;
  shards: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** How peers reach this replica (annotation of the member Lease). */
  advertiseUrl?: string;
  /** The ShardMap's fingerprint (member Lease annotation; fence.ts). Unset only in tests of the coordinator alone. */
  mapFingerprint?: string;
  /** How long a voluntary release waits for the shard's work in flight (default: the renew deadline). */
  drainTimeoutMs?: number;
}

/**
 * `--shards N|auto`. auto = one shard per sync (at least 1) up to AUTO_SHARDS_MAX; beyond it,
 * the fewest shards of ⌈S/64⌉ syncs each (⌈S/⌈S/64⌉⌉ ≤ 64), so (nearly) every shard holds the same
 * number of syncs: with 100 syncs 50 shards of 2 rather than 64 of 1 or 2. The shards a replica
 * holds are chosen without regard to their syncs (assign.ts), so mixed loads spread 100 syncs up
 * to 8 apart over 3 replicas; equal loads (c = ⌈S/64⌉, fewer than c shards one short) keep any
 * two replicas at most 2c − 1 apart (one shard more, and c − 1 short shards). Image policies are not
 * counted: they are singletons of shard 0 (work.ts) and need no shard of their own — counting
 * them added shards no sync maps to, which unbalanced the syncs per replica.
 */
export function parseShards(text: string, syncs: number): number {
  if (text === 'auto') return syncs <= AUTO_SHARDS_MAX ? Math.max(1, syncs) : Math.ceil(syncs / Math.ceil(syncs / AUTO_SHARDS_MAX));
  if (!/^[1-9][0-9]*$/.test(text)) throw new LeaderElectionConfigError(`--shards must be a positive integer or "auto", got "${text}"`);
  const n = Number(text);
  if (n > 1024) throw new LeaderElectionConfigError(`--shards ${n}: at most 1024 (each shard is a Lease renewed every retry period)`);
  return n;
}

/** The sharding settings from the leader-election ones (already checked by leaderElectionOptions). */
export function shardingOptions(election: LeaderElectionOptions, shards: number, advertiseUrl?: string): ShardingOptions {
  return {
    group: election.name,
    namespace: election.namespace,
    identity: election.identity,
    shards,
    leaseDurationMs: election.leaseDurationMs,
    renewDeadlineMs: election.renewDeadlineMs,
    retryPeriodMs: election.retryPeriodMs,
    ...(advertiseUrl ? { advertiseUrl } : {}),
  };
}

/** --advertise-url, else http://$POD_IP:<port> when POD_IP is set, else none. */
export function defaultAdvertiseUrl(env: NodeJS.ProcessEnv, listen: string): string | undefined {
  const ip = env.POD_IP?.trim();
  if (!ip) return undefined;
  const port = /:(\d+)$/.exec(listen)?.[1];
  if (!port) return undefined;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}
