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
  /** How long a voluntary release waits for the shard's work in flight (default: the renew deadline). */
  drainTimeoutMs?: number;
}

/**
 * `--shards N|auto`: auto = the number of syncs, at least 1, at most AUTO_SHARDS_MAX. Image
 * policies are not counted: they are singletons of shard 0 (work.ts) and need no shard of their
 * own — counting them added shards no sync maps to, which unbalanced the syncs per replica.
 */
export function parseShards(text: string, syncs: number): number {
  if (text === 'auto') return Math.max(1, Math.min(AUTO_SHARDS_MAX, syncs));
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
