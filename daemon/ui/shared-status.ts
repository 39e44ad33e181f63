// One status read shared by every view the page builds at about the same moment. With --shards
// the status is the fleet's (daemon/fleet/: a LIST of the Leases and one request per peer), so
// the periodic refresh (sse.ts) reads it once per tick and every open view builds from that read,
// instead of one fleet read per view. A daemon event drops the shared read: the views rebuilt
// for it must see the change the event announced.
import type { DaemonStatus } from '../status/index.js';
import type { UiParts } from './parts.js';

/** How long a finished read serves further builds (well under the refresh period). */
export const SHARED_READ_MS = 1000;

interface Read {
  value: Promise<DaemonStatus>;
  /** Monotonic time the read finished; undefined while in flight (shared until it ends). */
  doneAt: number | undefined;
}

export class SharedStatus {
  private read: Read | undefined;

  constructor(
    private readonly source: UiParts['status'],
    private readonly maxAgeMs = SHARED_READ_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The read in flight, or one finished less than maxAgeMs ago, or a new one. */
  snapshot(): Promise<DaemonStatus> {
    const r = this.read;
    if (r && (r.doneAt === undefined || this.now() - r.doneAt < this.maxAgeMs)) return r.value;
    return this.refresh();
  }

  /** A new read, which later snapshot() calls share. */
  refresh(): Promise<DaemonStatus> {
    const r: Read = { value: Promise.resolve().then(() => this.source.snapshot()), doneAt: undefined };
    this.read = r;
    r.value.then(
      () => {
        r.doneAt = this.now();
      },
      () => {
        if (this.read === r) this.read = undefined;
      },
    );
    return r.value;
  }

  /** Something changed (a daemon event): the next snapshot() reads again. */
  invalidate(): void {
    this.read = undefined;
  }
}
