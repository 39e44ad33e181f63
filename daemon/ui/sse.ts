// Server-sent events: each open page gets a fresh model after every daemon event (a sync
// applied or refused, drift corrected, a fetch, a push, leadership), within ~100 ms. Pages
// showing the same view share one build per change. A heartbeat comment keeps proxies from
// closing an idle stream; a sync page is also refreshed every few seconds, since health
// (a rollout finishing) changes without a daemon event.
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

class View {
  readonly streams = new Set<ReplyStream>();
  private timer: NodeJS.Timeout | undefined;
  private building = false;
  private again = false;
  private fresh = false;

  constructor(
    private readonly build: ModelBuilder,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Build and send soon (several calls in a row: once). */
  schedule(fresh: boolean): void {
    this.fresh ||= fresh;
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
    this.fresh = false;
    try {
      const model = await this.build(fresh);
      if (model) for (const s of this.streams) s.write(frame(model));
    } catch (err) {
      this.onError(err);
    } finally {
      this.building = false;
      if (this.again) {
        this.again = false;
        this.schedule(false);
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

  constructor(
    private readonly feed: LiveFeed,
    private readonly onError: (err: unknown) => void,
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

  /** Attach a stream to the view `key` (built by `build`); it gets the current model at once. */
  attach(key: string, build: ModelBuilder, out: ReplyStream, first: PageModel): void {
    let v = this.views.get(key);
    if (!v) this.views.set(key, (v = new View(build, this.onError)));
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
