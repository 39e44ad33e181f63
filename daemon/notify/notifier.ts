// The notifier: one subscriber of the event bus that turns sync and image outcomes into commit
// statuses and alert messages. Everything it does on an event is synchronous bookkeeping and a
// push into a channel's bounded queue (channel.ts), so a reconcile never waits for an endpoint;
// the channels deliver in the background.
//
// Commit statuses: `pending` when a reconcile of a commit starts, then `success` / `failure`
// (`error` for an internal failure), context `gitops-seal/<sync>`. A commit whose result is
// already posted is not posted again when it is retried (a failing revision is retried on every
// poll): no pending → failure flapping on the commit, and one request per change of result.
//
// Alerts: each alert's events pass its filters, then its de-duplication window (dedup.ts), then
// go to each of its providers; a window's repeats go out as one summary with the count.
import type { Logger } from '../log.js';
import type { EventBus, EventOf } from '../events/index.js';
import type { ChannelEvents, ChannelStats } from './channel.js';
import { CommitStatusChannel, NotificationChannel } from './channels.js';
import { realClock, type Clock } from './clock.js';
import type { CommitState } from './commit-status.js';
import { Deduper, SlidingCount, type Occurrence } from './dedup.js';
import type { DeliveryFailure } from './errors.js';
import {
  appliedNotice,
  dedupKey,
  driftNotice,
  matches,
  pushedNotice,
  refusedNotice,
  writebackFailedNotice,
  type Notice,
} from './notice.js';
import { payloadFor } from './payloads.js';
import type { AlertSpec, CommitStatusSpec, NotificationsSpec } from './types.js';

/** One channel as `gitops-seal status` shows it. */
export interface NotificationChannelStatus extends ChannelStats {
  name: string;
  kind: 'notification' | 'commit-status';
  /** webhook, slack, teams, discord; github, gitlab, gitea. */
  type: string;
}

/** Counters the metrics keep per channel. */
export interface NotifyMetrics {
  delivered(channel: string, kind: string, type: string): void;
  failed(channel: string, kind: string, type: string, reason: DeliveryFailure): void;
  dropped(channel: string, kind: string, type: string, reason: 'queue-full' | 'shutdown'): void;
}

export interface NotifierOptions {
  log: Logger;
  /** The source each sync reads (commit statuses go to the targets of that source). */
  syncSources: ReadonlyMap<string, string>;
  metrics?: NotifyMetrics;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  random?: () => number;
}

/** A window as people say it: 1h, 90m, 45s. */
function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** How often de-duplication windows are looked at for summaries. */
const FLUSH_EVERY_MS = 5000;

interface AlertState {
  spec: AlertSpec;
  dedup: Deduper<Notice>;
  drift: SlidingCount;
}

export class Notifier {
  private readonly providers = new Map<string, NotificationChannel>();
  private readonly targets: CommitStatusChannel[] = [];
  private readonly alerts: AlertState[];
  /** Per sync: the commit of the reconcile under way. */
  private readonly attempt = new Map<string, string>();
  /** Per target and sync: the commit and the result last posted. */
  private readonly posted = new Map<string, { sha: string; state: CommitState }>();
  /** sync + revision pairs already announced as applied (no message for a no-op re-apply). */
  private readonly announced = new Set<string>();
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    notifications: NotificationsSpec | undefined,
    commitStatus: readonly CommitStatusSpec[],
    private readonly opts: NotifierOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    const deps = (kind: NotificationChannelStatus['kind'], name: string, type: string) => ({
      env: opts.env ?? process.env,
      clock: this.clock,
      random: opts.random ?? Math.random,
      events: this.channelEvents(kind, name, type),
    });
    for (const p of notifications?.providers ?? [])
      this.providers.set(p.name, new NotificationChannel(p, deps('notification', p.name, p.type)));
    for (const t of commitStatus) this.targets.push(new CommitStatusChannel(t, deps('commit-status', t.name, t.provider)));
    this.alerts = (notifications?.alerts ?? []).map((spec) => ({
      spec,
      dedup: new Deduper<Notice>(spec.dedupWindowMs),
      drift: new SlidingCount(spec.drift.windowMs),
    }));
  }

  private channelEvents(kind: string, name: string, type: string): ChannelEvents {
    const { metrics, log } = this.opts;
    return {
      delivered: () => metrics?.delivered(name, kind, type),
      failed: (reason) => {
        metrics?.failed(name, kind, type, reason);
        log.warn({ channel: name, kind, reason }, 'notification delivery failed');
      },
      dropped: (reason) => metrics?.dropped(name, kind, type, reason),
    };
  }

  /** Whether anything is configured (the assembly subscribes only then). */
  get enabled(): boolean {
    return this.providers.size > 0 || this.targets.length > 0;
  }

  /** Follow the bus; the returned function unsubscribes. */
  follow(bus: EventBus): () => void {
    return bus.on({
      'sync.started': (e) => {
        this.attempt.set(e.sync, e.revision);
        this.status(e.sync, e.revision, 'pending', 'gitops-seal is applying this revision');
      },
      'sync.applied': (e) => this.applied(e),
      'sync.refused': (e) => {
        const state: CommitState = e.stage === 'internal' ? 'error' : 'failure';
        this.status(e.sync, e.revision, state, `refused at stage ${e.stage}: ${e.message}`);
        // The next applied revision is news again, even the one applied before (a revert is a recovery).
        this.forget(e.sync);
        this.notify(refusedNotice(e));
      },
      'drift.corrected': (e) => this.drift(e),
      'image.pushed': (e) => this.notify(pushedNotice(e)),
      'image.failed': (e) => this.notify(writebackFailedNotice(e)),
    });
  }

  private applied(e: EventOf<'sync.applied'>): void {
    // A Helm sync's revision is commit + chart; the commit is the one its reconcile started with.
    const commit = this.attempt.get(e.sync) ?? e.revision;
    const c = e.changes;
    this.status(
      e.sync,
      commit,
      'success',
      `applied: ${e.objects} objects (${c.created} created, ${c.configured} configured, ${e.pruned} pruned)`,
    );
    const key = `${e.sync}\0${e.revision}`;
    if (this.announced.has(key)) return;
    // Only the latest revision per sync needs remembering.
    this.forget(e.sync);
    this.announced.add(key);
    this.notify(appliedNotice(e, commit));
  }

  private forget(sync: string): void {
    for (const k of this.announced) if (k.startsWith(`${sync}\0`)) this.announced.delete(k);
  }

  private status(sync: string, sha: string, state: CommitState, description: string): void {
    if (!SHA.test(sha)) return;
    const source = this.opts.syncSources.get(sync);
    for (const t of this.targets) {
      if (t.spec.source !== source || (t.spec.syncs && !t.spec.syncs.includes(sync))) continue;
      const key = `${t.spec.name}\0${sync}`;
      const last = this.posted.get(key);
      // Retried commit: its result stays on it until the result changes.
      if (last?.sha === sha && (state === 'pending' || last.state === state)) continue;
      if (state !== 'pending') this.posted.set(key, { sha, state });
      else if (last?.sha !== sha) this.posted.delete(key);
      t.post({ sha, state, sync, description });
    }
  }

  private drift(e: EventOf<'drift.corrected'>): void {
    const now = this.clock.now();
    for (const a of this.alerts) {
      if (!a.spec.events.includes('drift') || (a.spec.syncs && !a.spec.syncs.includes(e.sync))) continue;
      const times = a.drift.add(e.sync, now);
      if (times > a.spec.drift.moreThan) this.offer(a, driftNotice(e, times, windowText(a.spec.drift.windowMs)), now);
    }
  }

  private notify(n: Notice): void {
    const now = this.clock.now();
    for (const a of this.alerts) if (matches(a.spec, n)) this.offer(a, n, now);
  }

  private offer(a: AlertState, n: Notice, now: number): void {
    const o = a.dedup.offer(dedupKey(a.spec.name, n), n, now);
    if (o) this.deliver(a.spec, o);
  }

  private deliver(alert: AlertSpec, o: Occurrence<Notice>): void {
    const n = o.item;
    const label = `${n.event} ${n.sync ?? n.automation ?? ''}${n.revision ? `@${n.revision.slice(0, 12)}` : ''}${o.count > 1 ? ` ×${o.count}` : ''}`;
    for (const name of alert.providers) {
      const p = this.providers.get(name);
      p?.send(label, payloadFor(p.spec.type, alert.name, o));
    }
  }

  /** Send the summaries of de-duplication windows that ended with repeats. */
  tick(): void {
    const now = this.clock.now();
    for (const a of this.alerts) for (const o of a.dedup.flush(now)) this.deliver(a.spec, o);
  }

  start(): void {
    if (this.timer || this.alerts.length === 0) return;
    this.timer = setInterval(() => this.tick(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Stop the summaries; give the queues `graceMs` to empty (shutdown never waits on a dead endpoint). */
  async stop(graceMs = 2000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.providers.values(), ...this.targets].map((c) => c.channel.stop(graceMs)));
  }

  /** Every channel's counters and last delivery, providers first. */
  channels(): NotificationChannelStatus[] {
    return [
      ...[...this.providers.values()].map((p) => ({
        name: p.spec.name,
        kind: 'notification' as const,
        type: p.spec.type,
        ...p.channel.stats(),
      })),
      ...this.targets.map((t) => ({ name: t.spec.name, kind: 'commit-status' as const, type: t.spec.provider, ...t.channel.stats() })),
    ];
  }
}
