// Who is alive, judged like leader/decide.ts judges a holder: on this replica's monotonic clock,
// from when it last saw a Lease record change — never from the renewTime another machine wrote,
// so skewed wall clocks between nodes change nothing. A record unchanged for
// leaseDurationSeconds belongs to a dead (or paused, or partitioned) replica.
import { observe, type Observed } from '../leader/index.js';
import type { LeaseRecord } from '../leader/index.js';

/** Observations of named Leases, kept across looks (the time each record was first seen as it is). */
export class Observations {
  private readonly seen = new Map<string, Observed>();

  /** Record what a LIST returned at local time `mono`; Leases no longer listed are forgotten. */
  update(records: ReadonlyMap<string, LeaseRecord>, mono: number): void {
    for (const name of [...this.seen.keys()]) if (!records.has(name)) this.seen.delete(name);
    for (const [name, record] of records) this.seen.set(name, observe(this.seen.get(name), record, mono));
  }

  /** After our own successful write: the record we wrote, seen now. */
  wrote(name: string, record: LeaseRecord, mono: number): void {
    this.seen.set(name, observe(this.seen.get(name), record, mono));
  }

  get(name: string): Observed | undefined {
    return this.seen.get(name);
  }
}

/** Whether the holder of an observed record still counts as holding it at local time `mono`. */
export function heldAt(o: Observed, mono: number): boolean {
  return o.record.holderIdentity !== '' && mono < o.at + o.record.leaseDurationSeconds * 1000;
}
