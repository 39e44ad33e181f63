// ShardCoordinator: one replica's side of the shard group. Every retry period it lists the
// group's Leases (one LIST by label selector), renews its member Lease and the shard Leases it
// holds, takes the free shards the assignment (assign.ts) gives it, and hands back — after their
// work stopped — the shards the assignment gives to someone else.
//
// Fencing: each held shard has a timer armed at each renewal that fires renewDeadline later
// (renewDeadline < leaseDuration, as elector.ts): a replica that cannot renew stops before
// another may take the shard. `mayWrite(k)` is the cheap check right before an inventory write
// or a push: held and renewed within the renew deadline on the monotonic clock, which stays true
// only while no other replica can have taken the Lease — also for a process that was paused
// (SIGSTOP) past its lease and has not yet run its timers.
//
// Involuntary loss (deadline passed, or another holder seen in a shard we hold) calls onLost once
// and ends the loop; the daemon then stops everything and the process exits (see README.md).
import type { Logger } from '../log.js';
import { LeaseConflictError, leaseSeconds, microTime, releasedRecord, sleep, within, type LeaseRecord } from '../leader/index.js';
import { decideFenced, fenceMembers, logWaiting, shardViews, type FenceMember } from './fence.js';
import type { GroupLease, GroupLeaseApi, Meta } from './lease-api.js';
import { heldAt, Observations } from './liveness.js';
import { MemberLease } from './member-lease.js';
import { ANNOTATION_ADDRESS, LABEL_ROLE, leaseLabels, shardLeaseName } from './names.js';
import type { ShardingOptions } from './options.js';

export interface ShardCallbacks {
  /** This replica now owns shard k: start its work (apply the sources' heads of its syncs). */
  onAcquired(shard: number): void;
  /** Shard k goes to another member: stop starting its work and resolve when its work in flight ended. */
  onReleasing(shard: number): Promise<void>;
  /** Shard k was lost without a release (renew deadline, or another holder): stop at once. */
  onLost(shard: number, reason: string): void;
}

export interface MemberView {
  identity: string;
  address?: string;
  owned: number[];
}

export type MoveDirection = 'acquired' | 'released' | 'lost';

interface Held {
  resourceVersion: string;
  record: LeaseRecord;
  lastRenew: number;
  timer: NodeJS.Timeout | undefined;
  /** Being handed back: no new work, but still renewed until its work stopped. */
  releasing: boolean;
}

export const systemMono = (): number => performance.now();

export class ShardCoordinator {
  private readonly obs = new Observations();
  private readonly held = new Map<number, Held>();
  private listed = new Map<string, GroupLease>();
  private stopping = false;
  private lost = false;
  private readonly wake = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly member: MemberLease;
  /** Older foreign members holding shards (fence.ts): while any, we hold nothing. */
  private waitingFor: string[] = [];
  /** Counted moves, for the metrics. */
  onMove?: (direction: MoveDirection, shard: number) => void;

  constructor(
    private readonly api: GroupLeaseApi,
    readonly opts: ShardingOptions,
    private readonly log: Logger,
    private readonly callbacks: ShardCallbacks,
    private readonly mono: () => number = systemMono,
    private readonly wall: () => number = Date.now,
  ) {
    this.member = new MemberLease(api, opts, log, wall);
  }

  /** New work of shard k may start: held, not being released, renewed within the renew deadline. */
  accepts(shard: number): boolean {
    const h = this.held.get(shard);
    return h !== undefined && !h.releasing && this.fresh(h);
  }

  /** A write for shard k may go out now: held (also while draining for a release) and fenced by the deadline. */
  mayWrite(shard: number): boolean {
    const h = this.held.get(shard);
    return h !== undefined && this.fresh(h);
  }

  private fresh(h: Held): boolean {
    return !this.lost && this.mono() - h.lastRenew < this.opts.renewDeadlineMs;
  }

  /** The shards this replica owns now (accepting work), ascending. */
  owned(): number[] {
    return [...this.held.keys()].filter((k) => this.accepts(k)).sort((a, b) => a - b);
  }

  /** Holder of shard k as last seen ("" = nobody). */
  holderOf(shard: number): string {
    if (this.held.has(shard)) return this.opts.identity;
    const l = this.listed.get(shardLeaseName(this.opts.group, shard));
    const o = l && this.obs.get(l.name);
    return o && heldAt(o, this.mono()) ? o.record.holderIdentity : '';
  }

  /** The older foreign members (another map) we wait for, as of the last look; [] = not waiting. */
  waitingForMap(): string[] {
    return [...this.waitingFor];
  }

  /** The other live members' Leases by identity, as last seen. */
  private liveMemberLeases(): Map<string, GroupLease> {
    const now = this.mono();
    const out = new Map<string, GroupLease>();
    for (const l of this.listed.values()) {
      if (l.labels[LABEL_ROLE] !== 'member' || l.name === this.member.name) continue;
      const o = this.obs.get(l.name);
      if (o && heldAt(o, now) && o.record.holderIdentity !== this.opts.identity && !out.has(o.record.holderIdentity))
        out.set(o.record.holderIdentity, l);
    }
    return out;
  }

  /** Live members (this replica included) with their address and the shards they hold as last seen. */
  members(): MemberView[] {
    const out = new Map<string, MemberView>();
    out.set(this.opts.identity, {
      identity: this.opts.identity,
      ...(this.opts.advertiseUrl ? { address: this.opts.advertiseUrl } : {}),
      owned: [],
    });
    for (const [identity, l] of this.liveMemberLeases()) {
      const address = l.annotations[ANNOTATION_ADDRESS];
      out.set(identity, { identity, ...(address ? { address } : {}), owned: [] });
    }
    for (let k = 0; k < this.opts.shards; k++) out.get(this.holderOf(k))?.owned.push(k);
    return [...out.values()].sort((a, b) => (a.identity < b.identity ? -1 : 1));
  }

  start(): void {
    this.loop ??= this.run();
  }

  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /**
   * Stop the loop; with `release`, hand back every held shard and the member Lease. Call it only
   * after the work of every shard stopped (daemon.ts drains first).
   */
  async stop(opts: { release: boolean; timeoutMs?: number }): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.loop;
    for (const h of this.held.values()) clearTimeout(h.timer);
    if (!opts.release || this.lost) return;
    const timeout = opts.timeoutMs ?? this.opts.retryPeriodMs;
    const shards = [...this.held.keys()];
    await Promise.all(shards.map((k) => this.releaseLease(k, timeout)));
    await this.member.release(timeout);
    this.log.info({ group: this.opts.group, released: shards }, 'sharding: leases released');
  }

  private async run(): Promise<void> {
    this.log.info({ group: this.opts.group, shards: this.opts.shards, replica: this.opts.identity }, 'sharding: joining the group');
    while (!this.stopping && !this.lost) {
      const started = this.mono();
      await this.tick().catch((err: unknown) => this.log.warn({ group: this.opts.group, err: msg(err) }, 'sharding: look failed'));
      if (this.stopping || this.lost) break;
      await sleep(this.nextDelay(started), this.wake.signal);
    }
  }

  /**
   * Every retry period counted from the start of the last look, but never past the moment an
   * observed holder's lease runs out. From the start, not the end: a look is a LIST and one PUT
   * per held shard, and at 60 shards under load it took seconds — sleeping a whole period after
   * it spaced renewals by period + look, and a stall on top of that lost the shards (bench/shards.ts).
   */
  private nextDelay(lookStarted: number): number {
    const now = this.mono();
    const period = this.opts.retryPeriodMs;
    // A tenth of a period at least, so a slow apiserver does not get looks back to back.
    let delay = Math.max(period * 0.1, lookStarted + period * (1 + 0.2 * Math.random()) - now);
    for (const l of this.listed.values()) {
      const o = this.obs.get(l.name);
      if (!o || o.record.holderIdentity === '' || o.record.holderIdentity === this.opts.identity) continue;
      const left = o.at + o.record.leaseDurationSeconds * 1000 - now;
      if (left > 0) delay = Math.min(delay, left + 20);
    }
    return delay;
  }

  /** Half the renew deadline; a held shard's renewal gets what is left of its deadline if that is more. */
  private requestTimeout(h?: Held): number {
    const half = this.opts.renewDeadlineMs / 2;
    if (!h) return Math.max(500, half);
    const left = h.lastRenew + this.opts.renewDeadlineMs - this.mono();
    return Math.max(500, half, left);
  }

  private async tick(): Promise<void> {
    const leases = await this.api.list(this.requestTimeout(), this.wake.signal);
    const now = this.mono();
    this.listed = new Map(leases.map((l) => [l.name, l]));
    this.obs.update(new Map(leases.map((l) => [l.name, l.record])), now);
    // A shard we hold that names someone else: it was taken — we were too slow (paused or cut off).
    for (const k of this.held.keys()) {
      const l = this.listed.get(shardLeaseName(this.opts.group, k));
      if (l && l.record.holderIdentity !== this.opts.identity)
        return this.lose(k, `another replica holds the shard lease (${l.record.holderIdentity || 'released'})`);
    }
    const others = fenceMembers(this.liveMemberLeases());
    const self: FenceMember = { identity: this.opts.identity, fingerprint: this.opts.mapFingerprint, joined: this.member.joined };
    const views = shardViews(this.listed, this.obs, this.opts.group, this.opts.shards, now);
    const holding = new Set([...this.held].filter(([, h]) => !h.releasing).map(([k]) => k));
    const d = decideFenced(self, this.opts.shards, others, views, holding);
    logWaiting(this.log, this.opts.identity, this.waitingFor, d.waitingFor);
    this.waitingFor = d.waitingFor;
    const releasing = [...this.held].filter(([, h]) => h.releasing).map(([k]) => k);
    // The member Lease and the held shards together: a slow apiserver must not make one wait for the other.
    // The shards given away now are renewed too: their drain may take the whole renew deadline,
    // and their fence was armed at the last look's renewal (release-drain.int.test.ts).
    await Promise.all([
      this.renewMember(),
      ...[...d.renew, ...d.release, ...releasing].map((k) => this.renewShard(k)),
      ...d.acquire.map((k) => this.acquireShard(k)),
    ]);
    for (const k of d.release) this.beginRelease(k);
  }

  private shardMeta(k: number): Meta {
    return { labels: leaseLabels(this.opts.group, 'shard', k) };
  }

  private newRecord(prev: LeaseRecord | undefined): LeaseRecord {
    const now = microTime(this.wall());
    const mine = prev?.holderIdentity === this.opts.identity;
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: leaseSeconds(this.opts.leaseDurationMs),
      acquireTime: mine ? (prev.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (prev && !mine ? 1 : 0),
    };
  }

  private async renewMember(): Promise<void> {
    const written = await this.member.renew(this.listed.get(this.member.name), this.requestTimeout());
    if (!written) return;
    this.listed.set(written.name, written);
    this.obs.wrote(written.name, written.record, this.mono());
  }

  private async renewShard(k: number): Promise<void> {
    const h = this.held.get(k);
    if (!h) return;
    const name = shardLeaseName(this.opts.group, k);
    const rv = this.listed.get(name)?.resourceVersion ?? h.resourceVersion;
    try {
      const written = await this.api.update(
        name,
        this.newRecord(h.record),
        this.shardMeta(k),
        rv,
        this.requestTimeout(h),
        this.wake.signal,
      );
      if (this.lost || !this.held.has(k)) return;
      this.renewed(k, h, written);
    } catch (err) {
      // Not fatal by itself: the deadline timer decides.
      this.log.warn({ lease: name, err: msg(err) }, 'sharding: cannot renew a shard lease');
    }
  }

  private async acquireShard(k: number): Promise<void> {
    const name = shardLeaseName(this.opts.group, k);
    const l = this.listed.get(name);
    try {
      const written = l
        ? await this.api.update(
            name,
            this.newRecord(l.record),
            this.shardMeta(k),
            l.resourceVersion,
            this.requestTimeout(),
            this.wake.signal,
          )
        : await this.api.create(name, this.newRecord(undefined), this.shardMeta(k), this.requestTimeout(), this.wake.signal);
      if (this.stopping || this.lost) {
        // Taken while stopping: remember it so that stop() hands it back.
        this.held.set(k, {
          resourceVersion: written.resourceVersion,
          record: written.record,
          lastRenew: this.mono(),
          timer: undefined,
          releasing: true,
        });
        return;
      }
      const h: Held = { resourceVersion: '', record: written.record, lastRenew: 0, timer: undefined, releasing: false };
      this.held.set(k, h);
      this.renewed(k, h, written);
      this.log.info({ shard: k, replica: this.opts.identity }, 'sharding: shard acquired');
      this.onMove?.('acquired', k);
      this.callbacks.onAcquired(k);
    } catch (err) {
      if (err instanceof LeaseConflictError) this.log.debug({ lease: name }, err.message);
      else this.log.warn({ lease: name, err: msg(err) }, 'sharding: cannot acquire a shard lease');
    }
  }

  private renewed(k: number, h: Held, written: GroupLease): void {
    h.resourceVersion = written.resourceVersion;
    h.record = written.record;
    h.lastRenew = this.mono();
    this.listed.set(written.name, written);
    this.obs.wrote(written.name, written.record, h.lastRenew);
    clearTimeout(h.timer);
    h.timer = setTimeout(() => {
      if (this.stopping || this.held.get(k) !== h) return;
      this.lose(k, `could not renew the shard lease for ${this.opts.renewDeadlineMs} ms`);
      this.wake.abort(); // cut hanging requests short; the loop ends
    }, this.opts.renewDeadlineMs);
  }

  /** Stop the shard's work (bounded), then hand the Lease back; renewed meanwhile by the loop. */
  private beginRelease(k: number): void {
    const h = this.held.get(k);
    if (!h || h.releasing) return;
    h.releasing = true;
    this.log.info({ shard: k, replica: this.opts.identity }, 'sharding: releasing shard (rebalance)');
    const drainMs = this.opts.drainTimeoutMs ?? this.opts.renewDeadlineMs;
    void within(this.callbacks.onReleasing(k), drainMs).then(async (drained) => {
      if (this.lost || this.stopping || this.held.get(k) !== h) return;
      if (!drained)
        this.log.warn(
          { shard: k, ms: drainMs },
          'sharding: work of a released shard still in flight after the drain timeout; releasing anyway',
        );
      await this.releaseLease(k, this.requestTimeout());
      this.onMove?.('released', k);
    });
  }

  private async releaseLease(k: number, timeoutMs: number): Promise<void> {
    const h = this.held.get(k);
    if (!h) return;
    clearTimeout(h.timer);
    // From here on no write of this shard passes mayWrite.
    this.held.delete(k);
    const name = shardLeaseName(this.opts.group, k);
    try {
      let written: GroupLease;
      try {
        written = await this.api.update(name, releasedRecord(h.record, this.wall()), this.shardMeta(k), h.resourceVersion, timeoutMs);
      } catch (err) {
        // Our last renewal may have landed after its call was cut short (stop() aborts it),
        // leaving us a stale resourceVersion: read again and release if the Lease is still ours.
        if (!(err instanceof LeaseConflictError)) throw err;
        const current = (await this.api.list(timeoutMs)).find((l) => l.name === name);
        if (current?.record.holderIdentity !== this.opts.identity) return;
        written = await this.api.update(
          name,
          releasedRecord(current.record, this.wall()),
          this.shardMeta(k),
          current.resourceVersion,
          timeoutMs,
        );
      }
      this.listed.set(name, written);
      this.obs.wrote(name, written.record, this.mono());
    } catch (err) {
      // Not fatal: the Lease expires on its own after leaseDuration.
      this.log.warn({ lease: name, err: msg(err) }, 'sharding: could not release a shard lease; it expires on its own');
    }
  }

  private lose(k: number, reason: string): void {
    if (this.lost) return;
    this.lost = true;
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.log.error({ shard: k, replica: this.opts.identity, reason }, 'sharding: shard lost; stopping');
    this.onMove?.('lost', k);
    this.callbacks.onLost(k, reason);
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
