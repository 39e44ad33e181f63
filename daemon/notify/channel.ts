// One delivery channel (a notification provider or a commit-status target): a bounded queue in
// front of one worker. Producers only push (synchronous, O(1)): a dead or slow endpoint fills
// this queue, never the reconcile that produced the message. The worker sends one message at a
// time, in order, paced by a token bucket, each attempt bounded by a timeout; a failed attempt
// that may succeed later is retried with exponential backoff (full jitter, a server's
// Retry-After respected), up to maxAttempts. A full queue drops its oldest message and counts it.
import { scrubSecrets } from '../log.js';
import { realClock, type Clock } from './clock.js';
import { DeliveryError, type DeliveryFailure } from './errors.js';
import type { DeliverySpec } from './types.js';

/** One message: what it is about (for status) and how to send it once. */
export interface Job {
  /** Short label for status: `refused apps@0123abcd`, `success apps@0123abcd`. */
  label: string;
  /** Send once; reject with a DeliveryError (other errors count as network failures). */
  send(signal: AbortSignal): Promise<void>;
  /**
   * A message that makes earlier ones of the same key stale (a commit's result after its
   * pending): those still waiting are removed unsent (not counted as drops).
   */
  key?: string;
}

export interface LastDelivery {
  label: string;
  at: string;
  ok: boolean;
  attempts: number;
  /** The failure reason and its one-line detail (names the channel, never a URL or token). */
  reason?: DeliveryFailure;
  error?: string;
}

export interface ChannelStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
  last?: LastDelivery;
}

/** What a channel tells the metrics. */
export interface ChannelEvents {
  delivered?(): void;
  failed?(reason: DeliveryFailure): void;
  dropped?(reason: 'queue-full' | 'shutdown'): void;
}

const SHUTDOWN = 'abandoned at shutdown';

export const BACKOFF = { baseMs: 1000, maxMs: 60_000 } as const;

export class Channel {
  private readonly queue: Job[] = [];
  private worker: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private tokens: number;
  private refilledAt: number;
  private readonly st: ChannelStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    readonly name: string,
    private readonly spec: DeliverySpec,
    private readonly events: ChannelEvents = {},
    private readonly clock: Clock = realClock,
    /** 0..1; Math.random in production, fixed in tests. */
    private readonly random: () => number = Math.random,
  ) {
    this.tokens = spec.rateLimit.burst;
    this.refilledAt = clock.now();
  }

  /** Queue a message; never waits. The oldest waiting message makes room when the queue is full. */
  push(job: Job): void {
    if (this.stopping.signal.aborted) {
      this.drop('shutdown');
      return;
    }
    if (job.key !== undefined) {
      const fresh = this.queue.filter((q) => q.key !== job.key);
      this.queue.splice(0, this.queue.length, ...fresh);
    }
    if (this.queue.length >= this.spec.queueSize) {
      this.queue.shift();
      this.drop('queue-full');
    }
    this.queue.push(job);
    this.worker ??= this.work().finally(() => (this.worker = undefined));
  }

  stats(): ChannelStats {
    return { ...this.st, queued: this.queue.length, ...(this.st.last ? { last: { ...this.st.last } } : {}) };
  }

  /** Whether nothing is queued or being sent. */
  get idle(): boolean {
    return this.worker === undefined;
  }

  /**
   * Give the queue up to `graceMs` to empty, then abandon what is left (counted as dropped):
   * shutdown must not wait on an endpoint that is down.
   */
  async stop(graceMs: number): Promise<void> {
    const w = this.worker;
    if (w) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([w, new Promise<void>((r) => (t = setTimeout(r, graceMs)))]);
      clearTimeout(t);
    }
    this.stopping.abort();
    for (const _ of this.queue.splice(0)) this.drop('shutdown');
    await this.worker?.catch(() => undefined);
  }

  private drop(reason: 'queue-full' | 'shutdown'): void {
    this.st.dropped++;
    this.events.dropped?.(reason);
  }

  private async work(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      await this.deliver(job);
      if (this.stopping.signal.aborted) return;
    }
  }

  private async deliver(job: Job): Promise<void> {
    let attempt = 0;
    for (;;) {
      attempt++;
      await this.takeToken();
      if (this.stopping.signal.aborted) return this.drop('shutdown');
      const err = await this.once(job);
      // Abandoned at shutdown (stop() after its grace): not a failure of the endpoint.
      if (this.stopping.signal.aborted && err?.message === SHUTDOWN) return this.drop('shutdown');
      if (!err) return this.finish(job, attempt);
      if (!err.retryable || attempt >= this.spec.maxAttempts) return this.finish(job, attempt, err);
      // Full jitter (AWS architecture blog): spreads retries of many daemons hitting one endpoint.
      const backoff = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (attempt - 1)) * (0.5 + this.random() / 2);
      await this.clock.sleep(Math.min(BACKOFF.maxMs, Math.max(backoff, err.retryAfterMs ?? 0)), this.stopping.signal);
      if (this.stopping.signal.aborted) return this.finish(job, attempt, err);
    }
  }

  /** One attempt, bounded by the timeout whatever `send` does with its signal. */
  private async once(job: Job): Promise<DeliveryError | undefined> {
    const ac = new AbortController();
    const settled = new AbortController();
    const timedOut = this.clock.sleep(this.spec.timeoutMs, settled.signal).then(() => {
      if (settled.signal.aborted) return undefined;
      ac.abort();
      return new DeliveryError('timeout', `${this.name}: no answer within ${this.spec.timeoutMs} ms`, true);
    });
    const sent = job.send(ac.signal).then(
      () => undefined,
      (e: unknown) =>
        e instanceof DeliveryError
          ? e
          : // Not one of ours (those name no URL): scrubbed by shape before status and logs see it.
            new DeliveryError('network', scrubSecrets(`${this.name}: ${e instanceof Error ? e.message : String(e)}`), true),
    );
    const stopped = new Promise<{ e: DeliveryError }>((resolve) => {
      const onStop = (): void => {
        ac.abort();
        resolve({ e: new DeliveryError('network', SHUTDOWN, false) });
      };
      if (this.stopping.signal.aborted) onStop();
      else {
        this.stopping.signal.addEventListener('abort', onStop, { once: true });
        settled.signal.addEventListener('abort', () => this.stopping.signal.removeEventListener('abort', onStop), { once: true });
      }
    });
    try {
      // The first to settle: the answer, or the timeout (which never resolves to "delivered").
      return await Promise.race([
        sent.then((e) => ({ e })),
        stopped,
        timedOut.then((e) => (e ? { e } : new Promise<never>(() => undefined))),
      ]).then((r) => r.e);
    } finally {
      settled.abort();
    }
  }

  private finish(job: Job, attempts: number, err?: DeliveryError): void {
    const last: LastDelivery = { label: job.label, at: new Date(this.clock.now()).toISOString(), ok: !err, attempts };
    if (err) {
      last.reason = err.reason;
      last.error = err.message;
      this.st.failed++;
      this.events.failed?.(err.reason);
    } else {
      this.st.delivered++;
      this.events.delivered?.();
    }
    this.st.last = last;
  }

  /** Wait for a token of the bucket (refilled continuously at burst per perMs). */
  private async takeToken(): Promise<void> {
    const { burst, perMs } = this.spec.rateLimit;
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * burst) / perMs);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * perMs) / burst), this.stopping.signal);
      if (this.stopping.signal.aborted) return;
    }
  }
}
