// Drift correction for one sync. Every object the sync's ResourceManager stores by a write apply
// (the sync's reconciles and our own corrections) is reported to observe(), which keeps its
// baseline (detect.ts): what our apply stored, never a later read of the cluster — a manual
// change landing between our apply and such a read would otherwise become the baseline, its
// field no longer ours, and be kept forever. After each applied revision track() takes the
// baselines of its objects and watches every collection the sync touches (label selector
// gitops-seal.io/sync=<name>). A watch event queues the object for a check; checks run
// serialized with the sync's reconciles and re-apply only drifted objects (SSA with force). A
// full check (LIST per collection, each object against its baseline) runs right after a track()
// that (re)started the watches, covering changes made between the apply and the watches, and
// periodically for missed events. When the watches ran on through the apply (same collections:
// every later commit), track() checks only what the watches cannot have covered yet — the objects
// this apply stored (a GET each) and those whose checks were put off while the new revision was
// being tracked — so a one-file commit costs a GET, not a LIST of the whole sync.
// When nothing drifted, no write call is made.
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import { resourcePath, type ResourceMapping } from '../kube/discovery.js';
import { watch, WatchExpiredError } from '../kube/watch.js';
import { SYNC_LABEL, stableStringify, type AppliedObject, type Located, type ResourceManager } from '../apply/index.js';
import type { DesiredState } from '../engine/index.js';
import type { Logger } from '../log.js';
import { baselineOf, driftOf, FieldSetPool, hasDrifted, type Baseline, type Drift } from './detect.js';

interface Tracked {
  desired: KubeObject;
  loc: Located;
  /** undefined: no apply of ours was seen for it; the next check re-applies it to take one. */
  base: Baseline | undefined;
}

/** What a check reports for an object with no baseline (it is re-applied, not counted as drift). */
const NO_BASELINE: Drift = { changed: ['(no baseline)'], lost: [], owners: [] };

interface Collection {
  mapping: ResourceMapping;
  namespace: string;
  kind: string;
  apiVersion: string;
}

export interface DriftRunner {
  /** Runs fn serialized with the sync's other work; resolves with the number of corrections. */
  reapply(fn: (d: DesiredState) => Promise<number>): Promise<number>;
}

function collectionKey(c: Pick<Collection, 'mapping' | 'namespace'>): string {
  return `${c.mapping.group}/${c.mapping.version}/${c.mapping.resource}/${c.namespace}`;
}

export class DriftDetector {
  private tracked = new Map<string, Tracked>();
  private collections = new Map<string, Collection>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private stopped = false;
  /** The applied state whose baselines `tracked` holds; checks made for another one are skipped. */
  private trackedState: DesiredState | undefined;
  private generation = 0;
  /** Baselines reported by applies since the last track() (memory only; no values, see detect.ts). */
  private observed = new Map<string, Baseline>();
  /** The baselines the track() in progress took (undefined: none in progress). */
  private inflight: Map<string, Baseline> | undefined;
  /**
   * Checks put off because a newer revision was applied but not yet tracked (see check()): the
   * next track() runs them. `all`: a full check was put off.
   */
  private deferred: { keys: Set<string>; all: boolean } = { keys: new Set(), all: false };
  /** Counts corrections applied: a full check's LIST taken before one is read again (check()). */
  private correctionSeq = 0;
  private readonly pool = new FieldSetPool();
  private readonly unobserve: () => void;
  /** Corrections made so far (for tests and status). */
  corrections = 0;
  /** When each object (by formatKey, its applied namespace) was last re-applied: the web page's drift column. Names only. */
  readonly lastCorrected = new Map<string, string>();

  constructor(
    private readonly sync: string,
    private readonly manager: ResourceManager,
    private readonly runner: DriftRunner,
    private readonly log: Logger,
    private readonly opts: { debounceMs?: number; fieldManager?: string } = {},
  ) {
    this.unobserve = manager.observeApplies((a) => this.observe(a));
  }

  private get fieldManager(): string {
    return this.opts.fieldManager ?? this.manager.fieldManager;
  }

  /** An object our apply stored: its baseline, reduced at once (the stored object holds values). */
  private observe(a: AppliedObject): void {
    const key = formatKey(a.key);
    try {
      this.observed.set(key, baselineOf(a.stored, this.fieldManager, this.pool));
    } catch (err) {
      // Never fail the apply for this; the object's next check re-applies it to take a baseline.
      this.observed.delete(key);
      this.log.warn(
        { sync: this.sync, object: key, err: err instanceof Error ? err.message : String(err) },
        'cannot record a drift baseline',
      );
    }
  }

  private keyOf(obj: KubeObject, namespace: string): string {
    return formatKey({ ...keyOf(obj), namespace });
  }

  /**
   * Take the baselines of a newly applied revision (reported by its apply), (re)start the
   * watches, then check every object once against its baseline. Resolves after that check.
   */
  async track(desired: DesiredState): Promise<void> {
    const generation = ++this.generation;
    // Taken before the first await: the apply of `desired` has just reported its objects, and
    // the next revision's apply may start at any await below (it then reports into a new map).
    // A track() still in progress is superseded by this one, so its baselines come along (the
    // newer win): nothing is lost when two calls overlap.
    const observed = this.inflight ? new Map([...this.inflight, ...this.observed]) : this.observed;
    this.inflight = observed;
    this.observed = new Map();
    const previous = this.tracked;
    const tracked = new Map<string, Tracked>();
    const collections = new Map<string, Collection>();
    for (const obj of desired.objects) {
      const loc = await this.manager.locate(obj);
      const key = this.keyOf(obj, loc.namespace);
      tracked.set(key, { desired: obj, loc, base: observed.get(key) ?? sameBase(previous.get(key), obj) });
      const c = { mapping: loc.mapping, namespace: loc.namespace, kind: obj.kind, apiVersion: obj.apiVersion };
      collections.set(collectionKey(c), c);
    }
    // A newer revision was applied meanwhile: its track() call records the baselines.
    if (generation !== this.generation) return;
    this.inflight = undefined;
    this.tracked = tracked;
    this.trackedState = desired;
    this.pool.retain([...tracked.values()].map((t) => t.base).concat([...this.observed.values()]));
    const changed = [...collections.keys()].sort().join('|') !== [...this.collections.keys()].sort().join('|');
    this.collections = collections;
    const deferred = this.deferred;
    this.deferred = { keys: new Set(), all: false };
    const warn = (err: unknown): number => {
      this.log.warn({ sync: this.sync, err: err instanceof Error ? err.message : String(err) }, 'drift check after apply failed');
      return 0;
    };
    if (changed) {
      await this.restartWatches();
      // The watches start after the apply: only a full check covers every change since then.
      await this.fullCheck().catch(warn);
      return;
    }
    // The watches ran on through the apply, so every change since then reaches enqueue(): those
    // whose checks came before this point were put off (deferred), the rest are still to come.
    // The objects this apply stored are checked now as well, so that a change landing between
    // the apply and here is reverted by the time track() resolves, as after a full check; and
    // objects with no baseline, which a check re-applies to take one.
    const keys = new Set([...observed.keys(), ...deferred.keys]);
    for (const [k, t] of tracked) if (!t.base) keys.add(k);
    if (keys.size > 0) await this.check([...keys]).catch(warn);
    // A full check that met this revision (see check()) runs again, in the background: its LIST
    // does not hold up the next commit, and it is no reason to LIST on every commit after it.
    if (deferred.all) void this.fullCheck().catch(warn);
  }

  private async listAll(collections: Map<string, Collection>): Promise<Map<string, KubeObject>> {
    const out = new Map<string, KubeObject>();
    for (const c of collections.values()) {
      const items = await this.manager.listLive(c.mapping, c.namespace);
      for (const [name, item] of items) {
        const obj = { ...item, apiVersion: c.apiVersion, kind: c.kind };
        out.set(this.keyOf({ ...obj, metadata: { ...obj.metadata, name } }, c.namespace), obj);
      }
    }
    return out;
  }

  /** Resolves when every watch has its start point (or failed its first try). */
  private restartWatches(): Promise<void> {
    this.abort.abort();
    this.abort = new AbortController();
    const signal = this.abort.signal;
    return Promise.all(
      [...this.collections.values()].map((c) => new Promise<void>((started) => void this.watchLoop(c, signal, started))),
    ).then(() => undefined);
  }

  private async watchLoop(c: Collection, signal: AbortSignal, started: () => void): Promise<void> {
    let backoff = 500;
    while (!signal.aborted && !this.stopped) {
      try {
        // Start from "now": track()'s full check, after this point, sees everything before it.
        const list = await this.manager.client.request<{ metadata: { resourceVersion?: string } }>(
          resourcePath(c.mapping, c.namespace || undefined),
          {
            query: { limit: 1, labelSelector: `${SYNC_LABEL}=${this.sync}` },
          },
        );
        started();
        for await (const ev of watch(this.manager.client, resourcePath(c.mapping, c.namespace || undefined), {
          resourceVersion: list.metadata.resourceVersion,
          labelSelector: `${SYNC_LABEL}=${this.sync}`,
          signal,
        })) {
          backoff = 500;
          if (ev.type === 'ADDED') continue;
          const obj = { ...ev.object, apiVersion: c.apiVersion, kind: c.kind };
          // Also objects not tracked yet: a new revision's new object, changed before its track().
          this.enqueue(this.keyOf(obj, c.namespace));
        }
      } catch (err) {
        started();
        if (signal.aborted || this.stopped) return;
        if (!(err instanceof WatchExpiredError))
          this.log.warn(
            { sync: this.sync, collection: collectionKey(c), err: err instanceof Error ? err.message : String(err) },
            'watch failed; restarting',
          );
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
        // Events may have been missed while the watch was down.
        void this.fullCheck().catch(() => undefined);
      }
    }
  }

  private enqueue(key: string): void {
    this.pending.add(key);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const keys = [...this.pending];
      this.pending.clear();
      void this.check(keys).catch((err: unknown) =>
        this.log.error({ sync: this.sync, err: err instanceof Error ? err.message : String(err) }, 'drift check failed'),
      );
    }, this.opts.debounceMs ?? 100);
  }

  /** Check the given objects (all when omitted) and re-apply the drifted ones. Returns corrections. */
  async check(keys?: string[]): Promise<number> {
    // A full check LISTs outside the sync's queue: at 20,000 objects the LIST takes seconds, and
    // a commit arriving meanwhile must not wait behind it. The comparison runs in the queue, and
    // uses this LIST only if no revision was tracked and no object corrected since it began.
    let listed: { live: Map<string, KubeObject>; generation: number; seq: number } | undefined;
    if (!keys && this.trackedState) {
      const [generation, seq] = [this.generation, this.correctionSeq];
      listed = { live: await this.listAll(this.collections), generation, seq };
    }
    return this.runner.reapply(async (applied) => {
      // A newer revision is applied but track() has not taken its baselines yet (the watch
      // event of our own apply arrives first): comparing with the previous revision's baseline
      // would "correct" the cluster back to the previous revision. The next track() checks
      // these objects (or, for a full check, starts another).
      if (applied !== this.trackedState) {
        // Kept for that track(): unless it restarts the watches (then it checks everything),
        // these events are all it learns of the changes they report.
        if (keys) for (const k of keys) this.deferred.keys.add(k);
        else this.deferred.all = true;
        return 0;
      }
      const targets = (keys ?? [...this.tracked.keys()])
        .map((k) => [k, this.tracked.get(k)] as const)
        .filter((e): e is readonly [string, Tracked] => e[1] !== undefined);
      if (targets.length === 0) return 0;
      const fresh = listed?.generation === this.generation && listed.seq === this.correctionSeq ? listed.live : undefined;
      const live = keys ? await this.getEach(targets) : (fresh ?? (await this.listAll(this.collections)));
      const drifted: [string, Tracked, Drift][] = [];
      for (const [k, t] of targets) {
        const d = t.base ? driftOf(t.base, live.get(k), this.fieldManager) : NO_BASELINE;
        if (hasDrifted(d)) drifted.push([k, t, d]);
      }
      if (drifted.length === 0) return 0;
      for (const [k, t, d] of drifted)
        this.log.info(
          {
            sync: this.sync,
            object: k,
            fields: [...new Set([...d.changed, ...d.lost])].slice(0, 20),
            ...(d.owners.length > 0 ? { owners: d.owners } : {}),
          },
          t.base ? 'drift detected; re-applying' : 'no drift baseline recorded; re-applying',
        );
      const corrected = drifted.filter(([, t]) => t.base !== undefined).length;
      try {
        await this.manager.apply(
          drifted.map(([, t]) => t.desired),
          { force: true },
        );
      } finally {
        this.correctionSeq++;
        // The re-apply reported what it stored: that is the new baseline (also for the objects
        // of a re-apply that failed part way).
        for (const [k, t] of drifted) {
          t.base = this.observed.get(k) ?? t.base;
          this.observed.delete(k);
        }
      }
      this.corrections += corrected;
      const at = new Date().toISOString();
      for (const [k] of drifted) this.lastCorrected.set(k, at);
      return corrected;
    });
  }

  /** Full check: every tracked object, one LIST per collection. */
  fullCheck(): Promise<number> {
    return this.check();
  }

  private async getEach(entries: readonly (readonly [string, Tracked])[]): Promise<Map<string, KubeObject>> {
    const out = new Map<string, KubeObject>();
    for (const [k, t] of entries) {
      const obj = await this.manager.getLive(t.loc);
      if (obj) out.set(k, { ...obj, apiVersion: t.desired.apiVersion, kind: t.desired.kind });
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.unobserve();
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The previous revision's baseline of an object whose desired state did not change. */
function sameBase(prev: Tracked | undefined, obj: KubeObject): Baseline | undefined {
  if (!prev?.base) return undefined;
  return prev.desired === obj || stableStringify(prev.desired) === stableStringify(obj) ? prev.base : undefined;
}
