// A per-registry concurrency limit. Every client of one registry host shares one limiter, so
// twenty images on ghcr.io scanned at once still send at most `limit` requests in parallel
// (registries rate-limit per client address, not per repository).

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Highest number of requests in flight at once, for tests and tuning. */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, not ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter (active stays the same), so a caller
    // arriving in between cannot overtake it and push the count over the limit.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export const DEFAULT_REGISTRY_CONCURRENCY = 4;
const limiters = new Map<string, Limiter>();

/** The shared limiter of a registry host; the first caller's limit wins. */
export function limiterFor(apiHost: string, limit: number = DEFAULT_REGISTRY_CONCURRENCY): Limiter {
  let l = limiters.get(apiHost);
  if (!l) {
    l = new Limiter(limit);
    limiters.set(apiHost, l);
  }
  return l;
}
