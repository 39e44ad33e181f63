// Settings of leader election and their defaults.
//
// Timing: lease 10 s, renew deadline 7 s, retry 2 s (client-go's defaults are 15/10/2). The
// target is that a SIGKILLed leader is replaced and the new leader applies within 15 s. A
// follower judges expiry from when it last saw the record change, which is up to one retry
// period after the leader's last renewal, so a killed leader is replaced at most
// leaseDuration + retryPeriod (+ jitter) after its last renewal: 12.4 s with these values, which
// leaves about 2.5 s to start the controllers and apply; with 15/10/2 it would be 17.4 s before
// the new leader even starts. renewDeadline < leaseDuration keeps the invariant that a leader
// which cannot renew stops applying (at 7 s) before anyone else may take over (10 s).
import { hostname } from 'node:os';
import { LeaderElectionConfigError } from './errors.js';

export interface LeaderElectionOptions {
  namespace: string;
  /** Name of the Lease (--leader-election-id). */
  name: string;
  /** This replica's identity in the Lease: POD_NAME, or hostname_pid. */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION = {
  namespace: 'gitops-seal-system',
  name: 'gitops-seal',
  leaseDurationMs: 10_000,
  renewDeadlineMs: 7_000,
  retryPeriodMs: 2_000,
} as const;

/** POD_NAME (set from the downward API in deploy/), else hostname_pid (unique per process). */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env, host = hostname(), pid = process.pid): string {
  const pod = env.POD_NAME?.trim();
  return pod ? pod : `${host}_${pid}`;
}

/** Defaults filled in and the timing invariants checked (throws LeaderElectionConfigError). */
export function leaderElectionOptions(partial: Partial<LeaderElectionOptions> = {}): LeaderElectionOptions {
  const o: LeaderElectionOptions = {
    namespace: partial.namespace ?? DEFAULT_LEADER_ELECTION.namespace,
    name: partial.name ?? DEFAULT_LEADER_ELECTION.name,
    identity: partial.identity ?? defaultIdentity(),
    leaseDurationMs: partial.leaseDurationMs ?? DEFAULT_LEADER_ELECTION.leaseDurationMs,
    renewDeadlineMs: partial.renewDeadlineMs ?? DEFAULT_LEADER_ELECTION.renewDeadlineMs,
    retryPeriodMs: partial.retryPeriodMs ?? DEFAULT_LEADER_ELECTION.retryPeriodMs,
  };
  const dns1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (!dns1123.test(o.namespace))
    throw new LeaderElectionConfigError(`--leader-election-namespace "${o.namespace}" is not a valid namespace name`);
  if (!dns1123.test(o.name))
    throw new LeaderElectionConfigError(
      `--leader-election-id "${o.name}" is not a valid Lease name (lowercase letters, digits, "-" and ".")`,
    );
  if (o.identity === '') throw new LeaderElectionConfigError('leader election identity is empty (set POD_NAME)');
  if (o.retryPeriodMs <= 0) throw new LeaderElectionConfigError(`retry period must be positive, got ${o.retryPeriodMs} ms`);
  if (o.leaseDurationMs < 1000 || o.leaseDurationMs % 1000 !== 0) {
    throw new LeaderElectionConfigError(`lease duration must be whole seconds (the Lease stores seconds), got ${o.leaseDurationMs} ms`);
  }
  if (!(o.renewDeadlineMs < o.leaseDurationMs)) {
    throw new LeaderElectionConfigError(
      `renew deadline (${o.renewDeadlineMs} ms) must be shorter than the lease duration (${o.leaseDurationMs} ms): a leader must stop before others may take over`,
    );
  }
  if (!(o.retryPeriodMs < o.renewDeadlineMs)) {
    throw new LeaderElectionConfigError(
      `retry period (${o.retryPeriodMs} ms) must be shorter than the renew deadline (${o.renewDeadlineMs} ms)`,
    );
  }
  return o;
}
