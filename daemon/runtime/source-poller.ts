// One Git source: fetch on an interval (with jitter, so many daemons do not hit the server in
// lockstep) or when a webhook says so, and hand each new revision to the syncs that use it.
// Fetch errors keep the previous revision; the syncs keep what they applied. Each fetch's
// outcome is published on the event bus (the source's row in /status follows from there).
import type { Logger } from 'pino';
import type { SourceSpec } from '../config/index.js';
import { GitSource } from '../source/index.js';
import type { HeadHint, Revision } from '../source/index.js';
import { gitSourceSpec, type HomeSecrets, type PhaseBreakdown } from '../engine/index.js';
import { now, type EventBus } from '../events/index.js';

/** How a revision arrived: since when it was asked for (performance.now()), and the fetch's phases. */
export interface FetchedBy {
  since: number;
  phases: PhaseBreakdown;
}

export type RevisionHandler = (rev: Revision, fetched?: FetchedBy) => Promise<void>;

/**
 * One handler's delivery slot: the revision it works on, and the newest one waiting for it. A
 * handler never runs twice at once, and revisions that arrive while it runs replace each other:
 * it then runs once more, with the newest (the coalescing rule, per sync).
 */
interface Slot {
  busy: boolean;
  next: { rev: Revision; fetched: FetchedBy; done: (() => void)[] } | undefined;
}

export class SourcePoller {
  readonly source: GitSource;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Whether the running poll is still fetching: a trigger then asks for one more poll. */
  private fetching = false;
  private again = false;
  private readonly slots = new Map<RevisionHandler, Slot>();
  /** When the oldest trigger not yet served by a poll arrived (webhook receipt, timer). */
  private askedAt: number | undefined;
  /** The newest head a webhook named since the last poll began: fetched alongside the advertisement. */
  private hint: HeadHint | undefined;
  private stopped = false;
  private readonly handlers: RevisionHandler[] = [];
  lastRevision: Revision | undefined;
  /**
   * Sharding: whether this replica owns any sync or automation of this source now; a poll while
   * it does not fetches nothing (another replica does). Absent: always.
   */
  wanted: (() => boolean) | undefined;

  constructor(
    readonly spec: SourceSpec,
    cacheDir: string,
    private readonly bus: EventBus,
    private readonly log: Logger,
    /** Reads the `{secret: …}` SSH references (the daemon's home cluster). */
    home?: HomeSecrets,
  ) {
    this.source = new GitSource(gitSourceSpec(spec, process.env, home), cacheDir);
    if (spec.ssh !== undefined && 'insecureIgnoreHostKey' in spec.ssh) {
      log.warn(
        { source: spec.name, url: spec.url },
        'ssh.insecureIgnoreHostKey: the host key of this source is NOT checked; anyone in the network path can serve it any manifests',
      );
    }
  }

  onRevision(h: RevisionHandler): void {
    this.handlers.push(h);
  }

  /**
   * Fetch now. Coalescing: a trigger during a fetch schedules exactly one more poll, which starts
   * as soon as that fetch is done — not when the syncs are done with its revision, so a commit
   * to one sync is not held up by another sync's apply. Resolves when the syncs are done with
   * the revision of the poll it joined (or started).
   */
  trigger(hint?: HeadHint): Promise<void> {
    this.askedAt ??= performance.now();
    if (hint !== undefined) this.hint = hint;
    if (this.fetching && this.running) {
      this.again = true;
      return this.running;
    }
    this.fetching = true;
    const run = this.poll(() => {
      this.fetching = false;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.trigger().catch(() => undefined);
      }
    });
    this.running = run;
    void run
      .catch(() => undefined)
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    return run;
  }

  /**
   * One fetch + hand-off; `fetched` is called once the fetch is over (also when it failed).
   * Rejects only for fetch errors (handler errors are the syncs' business).
   */
  async poll(fetched?: () => void): Promise<void> {
    let done = false;
    const fetchOver = (): void => {
      if (!done) fetched?.();
      done = true;
    };
    try {
      await this.fetchAndHandOff(fetchOver);
    } finally {
      fetchOver();
    }
  }

  private async fetchAndHandOff(fetchOver: () => void): Promise<void> {
    if (this.wanted && !this.wanted()) {
      this.askedAt = undefined;
      return;
    }
    const start = performance.now();
    // Every trigger up to now is served by this poll; one arriving from here on asks for the next.
    const since = this.askedAt ?? start;
    this.askedAt = undefined;
    const hint = this.hint;
    this.hint = undefined;
    let rev: Revision;
    try {
      rev = await this.source.fetch(hint !== undefined ? { hint } : {});
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.bus.publish({ type: 'source.failed', source: this.spec.name, message, at: now() });
      this.log.error({ source: this.spec.name, err: message }, 'fetch failed; keeping the previous revision');
      throw err;
    }
    const stats = this.source.stats;
    this.bus.publish({
      type: 'source.fetched',
      source: this.spec.name,
      commit: rev.commit,
      ref: rev.ref,
      fetches: stats.fetches,
      skippedFetches: stats.skippedFetches,
      thinPackFallbacks: stats.thinPackFallbacks,
      at: now(),
    });
    this.lastRevision = rev;
    const t = this.source.lastFetchTimings;
    const phases: PhaseBreakdown = {
      queue: start - since,
      ...(t.negotiate !== undefined ? { negotiate: t.negotiate } : {}),
      ...(t.download !== undefined ? { download: t.download } : {}),
      ...(t.store !== undefined ? { store: t.store } : {}),
    };
    fetchOver();
    await Promise.allSettled(this.handlers.map((h) => this.deliver(h, rev, { since, phases })));
  }

  /**
   * Hands `rev` to `h` now, or, while `h` works on an earlier one, as its next (see Slot).
   * Resolves when `h` is done with `rev`, or with the newer revision that replaced it.
   */
  private deliver(h: RevisionHandler, rev: Revision, fetched: FetchedBy): Promise<void> {
    let slot = this.slots.get(h);
    if (!slot) this.slots.set(h, (slot = { busy: false, next: undefined }));
    const s = slot;
    return new Promise<void>((resolve) => {
      if (s.busy) {
        // The clock of the revision that replaces another starts at the older one's ask.
        const since = Math.min(fetched.since, s.next?.fetched.since ?? Infinity);
        s.next = { rev, fetched: { ...fetched, since }, done: [...(s.next?.done ?? []), resolve] };
        return;
      }
      s.busy = true;
      const work = async (r: Revision, f: FetchedBy, done: (() => void)[]): Promise<void> => {
        await h(r, f).catch(() => undefined);
        for (const d of done) d();
        const next = s.next;
        s.next = undefined;
        if (next) void work(next.rev, next.fetched, next.done);
        else s.busy = false;
      };
      void work(rev, fetched, [resolve]);
    });
  }

  start(): void {
    const schedule = (): void => {
      if (this.stopped) return;
      const jitter = (this.spec.intervalMs * this.spec.jitterPercent) / 100;
      const delay = this.spec.intervalMs + Math.random() * jitter;
      this.timer = setTimeout(() => {
        this.trigger()
          .catch(() => undefined)
          .finally(schedule);
      }, delay);
    };
    void this.trigger()
      .catch(() => undefined)
      .finally(schedule);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
