// The page's live feed and its change signal, both from the event bus the StatusStore follows:
// each event becomes one line of the feed (names, revisions, stages and causes — what the event
// carries, never a value), and every event tells the open pages to send a fresh view.
import type { DaemonEvent, EventBus } from '../events/index.js';
import type { FeedEntry } from './web/model.js';

export const FEED_LIMIT = 50;

const short = (rev: string): string => rev.slice(0, 12);

/** One feed line for an event; undefined for events the feed does not show (a fetch that found nothing new). */
export function feedEntry(e: DaemonEvent, lastCommit: Map<string, string>): FeedEntry | undefined {
  switch (e.type) {
    case 'sync.applied':
      return {
        at: e.at,
        kind: 'applied',
        subject: e.sync,
        text: `${short(e.revision)} applied: ${e.objects} objects (${e.durationMs} ms)`,
      };
    case 'sync.refused':
      return { at: e.at, kind: 'refused', subject: e.sync, text: `${short(e.revision)} refused at ${e.stage}: ${e.message}` };
    case 'drift.corrected':
      return { at: e.at, kind: 'drift', subject: e.sync, text: `${e.objects} drifted object${e.objects === 1 ? '' : 's'} re-applied` };
    case 'source.fetched': {
      const before = lastCommit.get(e.source);
      lastCommit.set(e.source, e.commit);
      if (before === e.commit) return undefined;
      return { at: e.at, kind: 'fetched', subject: e.source, text: `new commit ${short(e.commit)} on ${e.ref}` };
    }
    case 'source.failed':
      return { at: e.at, kind: 'fetch-failed', subject: e.source, text: e.message };
    case 'image.pushed':
      return {
        at: e.at,
        kind: 'pushed',
        subject: e.automation,
        text: `bump commit ${short(e.commit)} to ${e.source}: ${e.files.join(', ')}`,
      };
    case 'leader.changed':
      return { at: e.at, kind: 'leader', subject: '', text: e.leader ? 'this replica leads' : 'this replica follows' };
    default:
      return undefined;
  }
}

export type ChangeListener = (e: DaemonEvent) => void;

export class LiveFeed {
  private readonly entries: FeedEntry[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private readonly lastCommit = new Map<string, string>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly bus: EventBus) {}

  /** Follow the bus (from the server's start; the returned function stops). */
  open(): () => void {
    this.unsubscribe ??= this.bus.subscribe((e) => {
      const entry = feedEntry(e, this.lastCommit);
      if (entry) {
        this.entries.unshift(entry);
        if (this.entries.length > FEED_LIMIT) this.entries.length = FEED_LIMIT;
      }
      for (const l of [...this.listeners]) l(e);
    });
    return () => {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.listeners.clear();
    };
  }

  /** Newest first; `subjects` keeps the lines about one sync and its source (and the daemon's own). */
  list(subjects?: readonly string[]): FeedEntry[] {
    return this.entries.filter((e) => !subjects || e.subject === '' || subjects.includes(e.subject)).map((e) => ({ ...e }));
  }

  onChange(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
}
