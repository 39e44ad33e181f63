// Server-sent events: each open page gets a fresh model after every daemon event (a sync
// applied or refused, drift corrected, a fetch, a push, leadership), within ~100 ms. Pages
// showing the same view share one build per change. A heartbeat comment keeps proxies from
// closing an idle stream; a sync page is also refreshed every few seconds, since health
// (a rollout finishing) changes without a daemon event.
//
// With --shards a sync another replica owns changes on that replica, and no event of this one
// says so: `poll` then refreshes every open view every few seconds from one shared fleet read
// (shared-status.ts), and a view pushes such an update only when its model changed.
import type { ReplyStream } from '../http/index.js';
import type { DaemonEvent } from '../events/index.js';
import type { LiveFeed } from './feed.js';
import type { PageModel } from './web/model.js';

/** Events that follow each other this closely are sent as one update. */
export const COALESCE_MS = 50;
const HEARTBEAT_MS = 15_000;
const SYNC_REFRESH_MS = 5_000;
export const MAX_STREAMS = 200;

/** Builds the model of one view; `fresh`: read live health again. */
export type ModelBuilder = (fresh: boolean) => Promise<PageModel | undefined>;

function frame(model: PageModel): string {
  return `event: model\ndata: ${JSON.stringify(model)}\n\n`;
}

/** The model without its build time: two builds of an unchanged state compare equal. */
function contentOf(model: PageModel): string {
  return JSON.stringify({ ...model, generatedAt: '' });
}

/** The periodic refresh under --shards: every `everyMs` while a page is open, one `read`, then every view. */
export interface FleetPoll {
  everyMs: number;
  /** One status read that the views' builds right after it share. */
  read: () => Promise<unknown>;
}

class View {
  readonly streams = new Set<ReplyStream>();
  private timer: NodeJS.Timeout | undefined;
  private building = false;
  private again = false;
  private fresh = false;
  /** A daemon event asked for this build: send it even if the model did not change. */
  private force = false;
  private sent: string;

  constructor(
    private readonly build: ModelBuilder,
    private readonly onError: (err: unknown) => void,
    first: PageModel,
  ) {
    this.sent = contentOf(first);
  }

  /** Build and send soon (several calls in a row: once). `ifChanged`: send only a changed model. */
  schedule(fresh: boolean, ifChanged = false): void {
    this.fresh ||= fresh;
    this.force ||= !ifChanged;
    if (this.building) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, COALESCE_MS);
  }

  private async run(): Promise<void> {
    this.building = true;
    const fresh = this.fresh;
    const force = this.force;
    this.fresh = false;
    this.force = false;
    try {
      const model = await this.build(fresh);
      if (!model) return;
      const content = contentOf(model);
      if (!force && content === this.sent) return;
      this.sent = content;
      for (const s of this.streams) s.write(frame(model));
    } catch (err) {
      this.onError(err);
    } finally {
      this.building = false;
      if (this.again) {
        this.again = false;
        this.schedule(false, true);
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export class LivePages {
  private readonly views = new Map<string, View>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private polling = false;

  constructor(
    private readonly feed: LiveFeed,
    private readonly onError: (err: unknown) => void,
    private readonly poll?: FleetPoll,
  ) {}

  get streams(): number {
    return [...this.views.values()].reduce((n, v) => n + v.streams.size, 0);
  }

  open(): () => void {
    this.unsubscribe = this.feed.onChange((e: DaemonEvent) => {
      const about = 'sync' in e ? e.sync : undefined;
      for (const [key, v] of this.views) v.schedule(key === `sync:${about}` && (e.type === 'sync.applied' || e.type === 'drift.corrected'));
    });
    const heartbeat = setInterval(() => {
      for (const v of this.views.values()) for (const s of v.streams) s.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    const refresh = setInterval(() => {
      for (const [key, v] of this.views) if (key.startsWith('sync:')) v.schedule(true);
    }, SYNC_REFRESH_MS);
    heartbeat.unref();
    refresh.unref();
    this.timers.push(heartbeat, refresh);
    if (this.poll) {
      const poll = setInterval(() => void this.refreshFromFleet(), this.poll.everyMs);
      poll.unref();
      this.timers.push(poll);
    }
    return () => {
      this.unsubscribe?.();
      for (const t of this.timers) clearInterval(t);
      for (const v of this.views.values()) {
        v.stop();
        for (const s of v.streams) s.end();
      }
      this.views.clear();
    };
  }

  /** One shared read, then every open view rebuilt from it, sent where it changed. Skipped while no page is open or the last read still runs. */
  private async refreshFromFleet(): Promise<void> {
    if (!this.poll || this.polling || this.views.size === 0) return;
    this.polling = true;
    try {
      await this.poll.read();
      for (const v of this.views.values()) v.schedule(false, true);
    } catch (err) {
      this.onError(err);
    } finally {
      this.polling = false;
    }
  }

  /** Attach a stream to the view `key` (built by `build`); it gets the current model at once. */
  attach(key: string, build: ModelBuilder, out: ReplyStream, first: PageModel): void {
    let v = this.views.get(key);
    if (!v) this.views.set(key, (v = new View(build, this.onError, first)));
    const view = v;
    view.streams.add(out);
    // A reconnecting client waits 2 s between tries (EventSource's `retry`).
    out.write(`retry: 2000\n\n${frame(first)}`);
    out.onClose(() => {
      view.streams.delete(out);
      if (view.streams.size === 0) {
        view.stop();
        this.views.delete(key);
      }
    });
  }
}
