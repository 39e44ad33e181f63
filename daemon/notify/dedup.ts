// De-duplication: the same alert + subject + event + reason within a window becomes one message.
// The first occurrence goes out at once and opens a window; repeats inside it are counted; when
// the window ends with repeats, one summary goes out (the latest occurrence, with the count) and
// a new window opens — so a sync that flaps for an hour sends one message per window, not one
// per reconcile. A window that ends without repeats closes silently.

export interface Occurrence<T> {
  /** The occurrence to send (the first of a window, or the latest for a summary). */
  item: T;
  /** How many occurrences this message stands for (1 for the first of a window). */
  count: number;
  /** First and last occurrence covered (ms since the epoch). */
  firstAt: number;
  lastAt: number;
}

interface Window<T> {
  endsAt: number;
  repeats: number;
  firstRepeatAt: number;
  latest: T;
  lastAt: number;
}

export class Deduper<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(private readonly windowMs: number) {}

  /** The message to send now for this occurrence, or undefined when it is counted into a window. */
  offer(key: string, item: T, now: number): Occurrence<T> | undefined {
    if (this.windowMs <= 0) return { item, count: 1, firstAt: now, lastAt: now };
    const w = this.windows.get(key);
    if (w && now < w.endsAt) {
      if (w.repeats === 0) w.firstRepeatAt = now;
      w.repeats++;
      w.latest = item;
      w.lastAt = now;
      return undefined;
    }
    this.windows.set(key, { endsAt: now + this.windowMs, repeats: 0, firstRepeatAt: now, latest: item, lastAt: now });
    // A window that ended with repeats not yet flushed (flush runs every few seconds): this
    // message stands for them too.
    if (w && w.repeats > 0) return { item, count: w.repeats + 1, firstAt: w.firstRepeatAt, lastAt: now };
    return { item, count: 1, firstAt: now, lastAt: now };
  }

  /** Summaries of the windows that ended with repeats (each opens a new window); silent windows are closed. */
  flush(now: number): Occurrence<T>[] {
    const out: Occurrence<T>[] = [];
    for (const [key, w] of this.windows) {
      if (now < w.endsAt) continue;
      if (w.repeats === 0) {
        this.windows.delete(key);
        continue;
      }
      out.push({ item: w.latest, count: w.repeats, firstAt: w.firstRepeatAt, lastAt: w.lastAt });
      this.windows.set(key, { endsAt: now + this.windowMs, repeats: 0, firstRepeatAt: now, latest: w.latest, lastAt: w.lastAt });
    }
    return out;
  }

  /** Open windows (for tests and status). */
  get size(): number {
    return this.windows.size;
  }
}

/** Counts events per key in a sliding window: `drift corrected more than N times within W`. */
export class SlidingCount {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Record one event at `now`; returns how many fell within the window ending now. */
  add(key: string, now: number): number {
    const kept = (this.times.get(key) ?? []).filter((t) => t > now - this.windowMs);
    kept.push(now);
    this.times.set(key, kept);
    return kept.length;
  }
}
