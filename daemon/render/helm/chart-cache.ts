// Fetched chart archives by digest, in memory, least recently used evicted first. Charts are not
// secret (values are), so the cache may live as long as the process; it is bounded by bytes so a
// sync that walks through many versions cannot grow the daemon without limit.

export interface CachedChart {
  /** The .tgz exactly as fetched and verified. */
  archive: Buffer;
  name: string;
  version: string;
  appVersion?: string;
}

export class ChartCache {
  private readonly entries = new Map<string, CachedChart>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  get(digest: string): CachedChart | undefined {
    const hit = this.entries.get(digest);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert: Map iteration order is the LRU order.
    this.entries.delete(digest);
    this.entries.set(digest, hit);
    return hit;
  }

  set(digest: string, chart: CachedChart): void {
    // A chart larger than the whole budget is used once and not kept.
    if (chart.archive.length > this.maxBytes) return;
    const old = this.entries.get(digest);
    if (old) {
      this.entries.delete(digest);
      this.bytes -= old.archive.length;
    }
    this.entries.set(digest, chart);
    this.bytes += chart.archive.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.archive.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}

/** The cache renders share unless the caller passes its own. */
export const defaultChartCache = new ChartCache();
