// The delivery machinery on an injected clock: backoff, Retry-After, timeouts, the bounded queue,
// the rate limit, and push() never waiting on the endpoint.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { BACKOFF, Channel, type Job } from './channel.js';
import { DeliveryError } from './errors.js';
import type { DeliverySpec } from './types.js';

const spec = (over: Partial<DeliverySpec> = {}): DeliverySpec => ({
  timeoutMs: 10_000,
  maxAttempts: 5,
  queueSize: 100,
  rateLimit: { burst: 1000, perMs: 1000 },
  ...over,
});

/** A job whose attempts answer from `script` (true: delivered; an error: that failure), recording when each was made. */
function scripted(clock: FakeClock, label: string, script: (true | DeliveryError | 'hang')[], calls: number[]): Job {
  let i = 0;
  return {
    label,
    send: (signal) => {
      calls.push(clock.now());
      const step = script[Math.min(i++, script.length - 1)];
      if (step === true) return Promise.resolve();
      if (step === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.reject(step);
    },
  };
}

const e5xx = () => new DeliveryError('http-5xx', 'x: HTTP 503', true);

describe('Channel', () => {
  it('retries a retryable failure with exponential backoff, then records the delivery', async () => {
    const clock = new FakeClock();
    const counted: string[] = [];
    const ch = new Channel('hook', spec(), { delivered: () => counted.push('ok'), failed: (r) => counted.push(r) }, clock, () => 1);
    const calls: number[] = [];
    const t0 = clock.now();
    ch.push(scripted(clock, 'refused apps', [e5xx(), e5xx(), e5xx(), true], calls));
    await clock.advance(60_000);
    // random() = 1: the full backoff, 1 s, 2 s, 4 s.
    expect(calls.map((t) => t - t0)).toEqual([0, 1000, 3000, 7000]);
    expect(counted).toEqual(['ok']);
    expect(ch.stats()).toMatchObject({
      delivered: 1,
      failed: 0,
      dropped: 0,
      queued: 0,
      last: { label: 'refused apps', ok: true, attempts: 4 },
    });
  });

  it('gives up after maxAttempts, and at once on a final (4xx) failure; the backoff is capped', async () => {
    const clock = new FakeClock();
    const reasons: string[] = [];
    const ch = new Channel('hook', spec({ maxAttempts: 9 }), { failed: (r) => reasons.push(r) }, clock, () => 1);
    const calls: number[] = [];
    ch.push(scripted(clock, 'a', [e5xx()], calls));
    ch.push(scripted(clock, 'b', [new DeliveryError('http-4xx', 'hook: HTTP 404', false)], calls));
    await clock.advance(3_600_000);
    expect(calls.length).toBe(9 + 1);
    const gaps = calls.slice(1, 9).map((t, i) => t - (calls[i] ?? 0));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, BACKOFF.maxMs, BACKOFF.maxMs]);
    expect(reasons).toEqual(['http-5xx', 'http-4xx']);
    expect(ch.stats().last).toMatchObject({ label: 'b', ok: false, attempts: 1, reason: 'http-4xx', error: 'hook: HTTP 404' });
  });

  it("waits at least the server's Retry-After", async () => {
    const clock = new FakeClock();
    const ch = new Channel('hook', spec(), {}, clock, () => 0);
    const calls: number[] = [];
    ch.push(scripted(clock, 'a', [new DeliveryError('rate-limited', 'hook: HTTP 429', true, 30_000), true], calls));
    await clock.advance(60_000);
    expect(calls[1]! - calls[0]!).toBe(30_000);
  });

  it('bounds each attempt by the timeout, also when the request ignores its abort signal', async () => {
    const clock = new FakeClock();
    const ch = new Channel('slow', spec({ timeoutMs: 5000, maxAttempts: 2 }), {}, clock, () => 1);
    const calls: number[] = [];
    const deaf: Job = { label: 'x', send: () => (calls.push(clock.now()), new Promise<void>(() => undefined)) };
    ch.push(deaf);
    await clock.advance(4999);
    expect(ch.stats().last).toBeUndefined();
    await clock.advance(60_000);
    expect(calls.length).toBe(2);
    expect(ch.stats().last).toMatchObject({ ok: false, reason: 'timeout', attempts: 2, error: 'slow: no answer within 5000 ms' });
  });

  it('keeps at most queueSize messages, dropping the oldest and counting them', async () => {
    const clock = new FakeClock();
    const dropped: string[] = [];
    const ch = new Channel('dead', spec({ queueSize: 3, timeoutMs: 1000, maxAttempts: 1 }), { dropped: (r) => dropped.push(r) }, clock);
    const sent: string[] = [];
    const job = (label: string): Job => ({ label, send: () => (sent.push(label), new Promise<void>(() => undefined)) });
    for (const l of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']) ch.push(job(l));
    // m1 is being sent; m2..m6 wanted to wait in a queue of 3: m2 and m3 were dropped.
    expect(ch.stats()).toMatchObject({ queued: 3, dropped: 2 });
    await clock.advance(10_000);
    expect(sent).toEqual(['m1', 'm4', 'm5', 'm6']);
    expect(dropped).toEqual(['queue-full', 'queue-full']);
  });

  it('replaces a waiting message by a newer one of the same key (a commit result after its pending)', async () => {
    const clock = new FakeClock();
    const ch = new Channel('gh', spec({ timeoutMs: 1000, maxAttempts: 1 }), {}, clock);
    const sent: string[] = [];
    const job = (label: string, key?: string): Job => ({
      label,
      ...(key ? { key } : {}),
      send: () => (sent.push(label), new Promise<void>(() => undefined)),
    });
    ch.push(job('in-flight'));
    ch.push(job('pending A', 'A'));
    ch.push(job('pending B', 'B'));
    ch.push(job('success A', 'A'));
    expect(ch.stats()).toMatchObject({ queued: 2, dropped: 0 });
    await clock.advance(10_000);
    expect(sent).toEqual(['in-flight', 'pending B', 'success A']);
  });

  it('paces deliveries by its token bucket', async () => {
    const clock = new FakeClock();
    const ch = new Channel('chat', spec({ rateLimit: { burst: 2, perMs: 60_000 } }), {}, clock);
    const calls: number[] = [];
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) ch.push(scripted(clock, `m${i}`, [true], calls));
    await clock.advance(120_000);
    // A burst of 2, then one every 30 s.
    expect(calls.map((t) => t - t0)).toEqual([0, 0, 30_000, 60_000, 90_000]);
  });

  it('push() returns at once however dead the endpoint; stop() abandons the rest after its grace', async () => {
    const ch = new Channel('dead', spec({ timeoutMs: 60_000 }), {});
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) ch.push({ label: `m${i}`, send: () => new Promise<void>(() => undefined) });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(ch.stats()).toMatchObject({ queued: 100, dropped: 899 });
    const s0 = performance.now();
    await ch.stop(50);
    expect(performance.now() - s0).toBeLessThan(1000);
    // The 100 waiting and the one in flight.
    expect(ch.stats()).toMatchObject({ queued: 0, dropped: 1000, failed: 0 });
  });
});
