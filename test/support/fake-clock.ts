// A clock for tests of time-driven code (daemon/notify's rate limits, windows and backoff):
// `now()` moves only when the test calls `advance`, which wakes every sleeper whose time has come
// in order, letting the woken code run (setImmediate turns) before the next one.
import type { Clock } from '../../daemon/notify/index.js';

interface Sleeper {
  at: number;
  wake: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked for, in ms (backoff tests read them). */
  readonly sleeps: number[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const s: Sleeper = { at: this.t + ms, wake: resolve };
      this.sleepers.push(s);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Let pending promise chains run. */
  async settle(turns = 5): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
  }

  /** Move time forward by `ms`, waking sleepers in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }

  /** Sleepers waiting now. */
  get waiting(): number {
    return this.sleepers.length;
  }
}
