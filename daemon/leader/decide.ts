// The election's decisions, as pure functions of what was observed and a clock, so they can be
// tested without an apiserver. The rules are client-go's leaderelection:
//
// - Validity is judged on the LOCAL clock, from when this replica last saw the record change
//   (observedAt), never from the renewTime written by another machine: clocks of different nodes
//   may disagree, the time since our own observation cannot. A holder that stopped renewing is
//   expired leaseDurationSeconds after we last saw its record move.
// - holderIdentity "" means the holder released the Lease on shutdown: take it at once.
// - Our own identity in the record means we hold it (or our previous incarnation with the same
//   POD_NAME did, and it is gone): renew.
import { microTime, sameRecord, type LeaseRecord } from './record.js';

/** A record and the local (monotonic) time at which we first saw it in this exact state. */
export interface Observed {
  record: LeaseRecord;
  at: number;
}

export interface Clock {
  /** Monotonic milliseconds (validity and deadlines). */
  mono: number;
  /** Wall-clock milliseconds since the epoch (timestamps written into the Lease). */
  wall: number;
}

export type Decision =
  /** No Lease yet: create it with us as holder. */
  | { action: 'create'; record: LeaseRecord }
  /** Released or expired: take it over (update with the observed resourceVersion). */
  | { action: 'acquire'; record: LeaseRecord }
  /** We hold it: renew. */
  | { action: 'renew'; record: LeaseRecord }
  /** Someone else holds a valid Lease. */
  | { action: 'wait'; holder: string; expiresAt: number };

/** Keep the old observation time while the record is unchanged. */
export function observe(prev: Observed | undefined, record: LeaseRecord, mono: number): Observed {
  return prev && sameRecord(prev.record, record) ? prev : { record, at: mono };
}

/** Local monotonic time at which the observed holder's lease runs out. */
export function expiresAt(o: Observed): number {
  return o.at + o.record.leaseDurationSeconds * 1000;
}

export function leaseSeconds(leaseDurationMs: number): number {
  return Math.max(1, Math.ceil(leaseDurationMs / 1000));
}

export function decide(observed: Observed | undefined, identity: string, leaseDurationMs: number, clock: Clock): Decision {
  const now = microTime(clock.wall);
  const seconds = leaseSeconds(leaseDurationMs);
  if (!observed) {
    return {
      action: 'create',
      record: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
    };
  }
  const old = observed.record;
  if (old.holderIdentity === identity) {
    return { action: 'renew', record: { ...old, leaseDurationSeconds: seconds, acquireTime: old.acquireTime ?? now, renewTime: now } };
  }
  if (old.holderIdentity === '' || clock.mono >= expiresAt(observed)) {
    return {
      action: 'acquire',
      record: {
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: old.leaseTransitions + 1,
      },
    };
  }
  return { action: 'wait', holder: old.holderIdentity, expiresAt: expiresAt(observed) };
}

/** What a leader writes on a clean shutdown so that a follower takes over on its next try. */
export function releasedRecord(held: LeaseRecord, wall: number): LeaseRecord {
  const now = microTime(wall);
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: held.leaseTransitions };
}

/** A leader that could not renew for renewDeadline must stop: followers may take over soon after. */
export function renewDeadlinePassed(lastRenewMono: number, mono: number, renewDeadlineMs: number): boolean {
  return mono - lastRenewMono >= renewDeadlineMs;
}

/**
 * Delay before the next try. A leader renews every retryPeriod. A follower retries every
 * retryPeriod plus up to `jitter` of it (so replicas do not hit the apiserver in lockstep), but
 * never sleeps past the moment the holder's lease runs out: a killed leader is replaced as soon
 * as its lease expires, not up to a retry period later.
 */
export function nextDelay(
  leading: boolean,
  decision: Decision | undefined,
  retryPeriodMs: number,
  clockMono: number,
  random: number,
  jitter = 0.2,
): number {
  if (leading) return retryPeriodMs;
  const base = retryPeriodMs * (1 + jitter * random);
  if (decision?.action !== 'wait') return base;
  const untilExpiry = Math.max(0, decision.expiresAt - clockMono) + 20;
  return Math.min(base, untilExpiry);
}
