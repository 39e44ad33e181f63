// LeaderElector: one replica's side of the election on a Lease (client-go's leaderelection
// loop). It tries to acquire every retry period; once it holds the Lease it renews every retry
// period. A leader that sees another holder, or cannot renew for renewDeadline, has lost: it
// calls onStoppedLeading once and the loop ends (like client-go's Run returning). The deadline
// is a timer armed at each renewal, so a request hanging on a partitioned network cannot delay
// the loss past it (renewDeadline < leaseDuration: we stop before a follower may start). The daemon
// then stops its controllers and main exits non-zero, so the pod restarts as a fresh follower —
// the controller-runtime choice: controllers are never restarted inside one process, so no
// state of the lost term (queued reconciles, image choices, watch baselines) can leak into a
// later one.
import type { Logger } from '../log.js';
import { decide, nextDelay, observe, releasedRecord, renewDeadlinePassed, type Clock, type Decision, type Observed } from './decide.js';
import { LeaseConflictError } from './errors.js';
import type { LeaseStore } from './lease-store.js';
import type { LeaderElectionOptions } from './options.js';
import { sleep } from './wait.js';

export interface LeaderCallbacks {
  /** This replica now holds the Lease: start the controllers. */
  onStartedLeading(): void;
  /** This replica lost the Lease (not called on a voluntary release): stop applying at once. */
  onStoppedLeading(reason: string): void;
  /** The observed holder changed ("" = released). */
  onNewLeader?(holder: string): void;
}

interface Attempt {
  held: boolean;
  decision?: Decision;
}

const systemClock = (): Clock => ({ mono: performance.now(), wall: Date.now() });

export class LeaderElector {
  private observed: Observed | undefined;
  private resourceVersion = '';
  private leadingNow = false;
  private lastRenew = 0;
  private holderNow = '';
  private stopping = false;
  private lost = false;
  /** Fires renewDeadline after the last successful renewal: the loss is noticed on time even while a request hangs. */
  private deadline: NodeJS.Timeout | undefined;
  private readonly wake = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: LeaseStore,
    readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly callbacks: LeaderCallbacks,
    private readonly clock: () => Clock = systemClock,
  ) {}

  get isLeader(): boolean {
    return this.leadingNow;
  }

  /** The holder last seen in the Lease ("" when released or not yet read). */
  get holder(): string {
    return this.holderNow;
  }

  get lease(): string {
    return this.store.id;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves when the loop has ended (stopped, or leadership lost). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /**
   * Stop trying; when `release` and we hold the Lease, hand it back (holderIdentity "") so a
   * follower takes over on its next try instead of waiting for the lease to expire. Call it
   * only after the controllers stopped: releasing while still applying would let two replicas
   * write at once.
   */
  async stop(opts: { release: boolean; timeoutMs?: number }): Promise<void> {
    this.stopping = true;
    clearTimeout(this.deadline);
    this.wake.abort();
    await this.loop;
    const held = this.leadingNow && this.observed?.record.holderIdentity === this.opts.identity;
    this.leadingNow = false;
    if (!opts.release || !held || !this.observed) return;
    const timeout = opts.timeoutMs ?? this.opts.retryPeriodMs;
    try {
      try {
        await this.store.update(releasedRecord(this.observed.record, this.clock().wall), this.resourceVersion, timeout);
      } catch (err) {
        // Our last renewal may have landed after its call was cut short by stop(), leaving us
        // with a stale resourceVersion: read again and release if the Lease is still ours.
        if (!(err instanceof LeaseConflictError)) throw err;
        const current = await this.store.get(timeout);
        if (current?.record.holderIdentity !== this.opts.identity) return;
        await this.store.update(releasedRecord(current.record, this.clock().wall), current.resourceVersion, timeout);
      }
      this.setHolder('');
      this.log.info({ lease: this.lease, replica: this.opts.identity }, 'leader election: lease released');
    } catch (err) {
      // Not fatal: the Lease expires on its own after leaseDuration.
      this.log.warn(
        { lease: this.lease, err: errMessage(err) },
        'leader election: could not release the lease; followers take over when it expires',
      );
    }
  }

  private async run(): Promise<void> {
    this.log.info({ lease: this.lease, replica: this.opts.identity }, 'leader election: trying to acquire the lease');
    while (!this.stopping) {
      const attempt = await this.tryAcquireOrRenew();
      if (this.lost) return;
      if (this.stopping) {
        // Acquired while being stopped: remember it so that stop() hands it back at once.
        if (attempt.held) this.leadingNow = true;
        break;
      }
      const mono = this.clock().mono;
      if (this.leadingNow) {
        if (attempt.held) this.renewed(mono);
        else if (attempt.decision && attempt.decision.action !== 'renew')
          return this.lose(`another replica holds the lease (${this.holderNow || 'released'})`);
        else if (renewDeadlinePassed(this.lastRenew, mono, this.opts.renewDeadlineMs))
          return this.lose(`could not renew the lease for ${this.opts.renewDeadlineMs} ms`);
      } else if (attempt.held) {
        this.leadingNow = true;
        this.renewed(mono);
        this.log.info({ lease: this.lease, replica: this.opts.identity }, 'leader election: became leader');
        this.callbacks.onStartedLeading();
      }
      await sleep(
        nextDelay(this.leadingNow, attempt.decision, this.opts.retryPeriodMs, this.clock().mono, Math.random()),
        this.wake.signal,
      );
    }
  }

  private renewed(mono: number): void {
    this.lastRenew = mono;
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      if (!this.leadingNow || this.stopping) return;
      this.lose(`could not renew the lease for ${this.opts.renewDeadlineMs} ms`);
      this.wake.abort(); // cut the hanging request short; the loop ends
    }, this.opts.renewDeadlineMs);
  }

  private lose(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    clearTimeout(this.deadline);
    this.leadingNow = false;
    this.log.error(
      { lease: this.lease, replica: this.opts.identity, reason },
      'leader election: leadership lost; stopping the controllers',
    );
    this.callbacks.onStoppedLeading(reason);
  }

  /** A leader's request must not outlive its renew deadline; a follower's gets half of it. */
  private requestTimeout(): number {
    const half = this.opts.renewDeadlineMs / 2;
    if (!this.leadingNow) return half;
    const left = this.lastRenew + this.opts.renewDeadlineMs - this.clock().mono;
    return Math.max(500, Math.min(half, left));
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    let current;
    try {
      current = await this.store.get(this.requestTimeout(), this.wake.signal);
    } catch (err) {
      this.log.warn({ lease: this.lease, err: errMessage(err) }, 'leader election: cannot read the lease');
      return { held: false };
    }
    if (current) {
      this.observed = observe(this.observed, current.record, this.clock().mono);
      this.resourceVersion = current.resourceVersion;
    } else {
      this.observed = undefined;
    }
    this.setHolder(current?.record.holderIdentity ?? '');
    const decision = decide(this.observed, this.opts.identity, this.opts.leaseDurationMs, this.clock());
    if (decision.action === 'wait') return { held: false, decision };
    if (this.leadingNow && decision.action !== 'renew') return { held: false, decision };
    try {
      const written =
        decision.action === 'create'
          ? await this.store.create(decision.record, this.requestTimeout(), this.wake.signal)
          : await this.store.update(decision.record, this.resourceVersion, this.requestTimeout(), this.wake.signal);
      this.observed = observe(this.observed, written.record, this.clock().mono);
      this.resourceVersion = written.resourceVersion;
      this.setHolder(this.opts.identity);
      return { held: true, decision };
    } catch (err) {
      if (err instanceof LeaseConflictError) this.log.debug({ lease: this.lease }, err.message);
      else this.log.warn({ lease: this.lease, err: errMessage(err) }, `leader election: cannot ${decision.action} the lease`);
      return { held: false, decision };
    }
  }

  private setHolder(holder: string): void {
    if (holder === this.holderNow) return;
    this.holderNow = holder;
    this.log.info({ lease: this.lease, holder: holder || '(released)' }, 'leader election: new holder observed');
    this.callbacks.onNewLeader?.(holder);
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
