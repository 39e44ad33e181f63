// A small least-recently-used map bounded by a total weight (bytes, or 1 per entry). Shared by
// the chart cache (archives by digest) and the render cache (results by identity).

export class Lru<T> {
  private readonly entries = new Map<string, T>();
  private weight = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxWeight: number,
    private readonly weigh: (value: T) => number = () => 1,
  ) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert: Map iteration order is the LRU order.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, value: T): void {
    const w = this.weigh(value);
    // A value heavier than the whole budget is used once and not kept.
    if (w > this.maxWeight) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.weight -= this.weigh(old);
    }
    this.entries.set(key, value);
    this.weight += w;
    for (const [k, v] of this.entries) {
      if (this.weight <= this.maxWeight) break;
      this.entries.delete(k);
      this.weight -= this.weigh(v);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get totalWeight(): number {
    return this.weight;
  }
}
