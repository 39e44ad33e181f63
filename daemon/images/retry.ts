// When and how long to wait before retrying a registry request. 429 and 5xx are retried with
// exponential backoff and jitter; a Retry-After header (delta-seconds or HTTP-date, RFC 9110
// §10.2.3) overrides the backoff, because a registry that says when to come back means it.

export interface RetryPolicy {
  /** Total attempts per request, including the first (default 5). */
  maxAttempts: number;
  /** Backoff before the second attempt; doubles each time (default 250 ms). */
  baseDelayMs: number;
  /** Cap of one backoff delay (default 10 s). */
  maxDelayMs: number;
  /**
   * Longest Retry-After we are willing to sleep inside one scan (default 60 s). A longer one
   * ends the scan with a rate-limited error instead; the next interval tries again.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** Statuses worth retrying: rate limiting and transient server trouble. 501 and 505 are permanent. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Milliseconds to wait from a Retry-After value, or undefined when absent or unparseable.
 * Accepts delta-seconds ("120") and the IMF-fixdate form of HTTP-date; a date in the past means 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (HTTP_DATE.test(v)) {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return undefined;
    // HTTP dates have whole-second resolution: round the wait up so we never come back early.
    return Math.max(0, Math.ceil((t - now) / 1000) * 1000);
  }
  return undefined;
}

/**
 * Backoff before attempt `attempt + 1` (attempt counts from 1): base·2^(attempt-1), capped, with
 * "equal jitter" (half fixed, half random) so that many scanners do not retry in lockstep.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
