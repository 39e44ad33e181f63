// Drift correction for one sync. After each applied revision it records a baseline per object
// and watches every collection the sync touches (label selector gitops-seal.io/sync=<name>).
// A watch event queues the object for a check; checks run serialized with the sync's
// reconciles and re-apply only drifted objects. A periodic full check (LIST per collection)
// covers missed events. When nothing drifted, no write call is made.
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import { resourcePath, type ResourceMapping } from '../kube/discovery.js';
import { watch, WatchExpiredError } from '../kube/watch.js';
import { SYNC_LABEL, type Located, type ResourceManager } from '../apply/index.js';
import type { DesiredState } from '../engine/index.js';
import type { Logger } from '../log.js';
import { driftedPaths, ownedFields, type Baseline } from './detect.js';

interface Tracked {
  desired: KubeObject;
  loc: Located;
  base: Baseline | undefined;
}

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
  /** The applied state whose baselines `tracked` holds; checks made for another one are deferred. */
  private trackedState: DesiredState | undefined;
  private generation = 0;
  private deferred = new Set<string>();
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
  ) {}

  private keyOf(obj: KubeObject, namespace: string): string {
    return formatKey({ ...keyOf(obj), namespace });
  }

  /** Record baselines for a newly applied revision and (re)start the watches. */
  async track(desired: DesiredState): Promise<void> {
    const generation = ++this.generation;
    const tracked = new Map<string, Tracked>();
    const collections = new Map<string, Collection>();
    for (const obj of desired.objects) {
      const loc = await this.manager.locate(obj);
      tracked.set(this.keyOf(obj, loc.namespace), { desired: obj, loc, base: undefined });
      const c = { mapping: loc.mapping, namespace: loc.namespace, kind: obj.kind, apiVersion: obj.apiVersion };
      collections.set(collectionKey(c), c);
    }
    const live = await this.listAll(collections);
    // A newer revision was applied while we listed: its track() call records the baselines.
    if (generation !== this.generation) return;
    for (const [k, t] of tracked) t.base = this.baselineOf(live.get(k));
    this.tracked = tracked;
    this.trackedState = desired;
    const changed = [...collections.keys()].sort().join('|') !== [...this.collections.keys()].sort().join('|');
    this.collections = collections;
    if (changed) this.restartWatches();
    for (const k of this.deferred) this.enqueue(k);
    this.deferred.clear();
  }

  private baselineOf(live: KubeObject | undefined): Baseline | undefined {
    if (!live) return undefined;
    const fields = ownedFields(live, this.opts.fieldManager ?? this.manager.fieldManager);
    return fields ? { fields, stored: live } : undefined;
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

  private restartWatches(): void {
    this.abort.abort();
    this.abort = new AbortController();
    for (const c of this.collections.values()) void this.watchLoop(c, this.abort.signal);
  }

  private async watchLoop(c: Collection, signal: AbortSignal): Promise<void> {
    let backoff = 500;
    while (!signal.aborted && !this.stopped) {
      try {
        // Start from "now": the baseline was taken by track(); events after it are what matters.
        const list = await this.manager.client.request<{ metadata: { resourceVersion?: string } }>(
          resourcePath(c.mapping, c.namespace || undefined),
          {
            query: { limit: 1, labelSelector: `${SYNC_LABEL}=${this.sync}` },
          },
        );
        for await (const ev of watch(this.manager.client, resourcePath(c.mapping, c.namespace || undefined), {
          resourceVersion: list.metadata.resourceVersion,
          labelSelector: `${SYNC_LABEL}=${this.sync}`,
          signal,
        })) {
          backoff = 500;
          if (ev.type === 'ADDED') continue;
          const obj = { ...ev.object, apiVersion: c.apiVersion, kind: c.kind };
          const key = this.keyOf(obj, c.namespace);
          if (this.tracked.has(key)) this.enqueue(key);
        }
      } catch (err) {
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
    return this.runner.reapply(async (applied) => {
      // A newer revision is applied but track() has not recorded its baselines yet (the watch
      // event of our own apply arrives first): comparing with the previous revision's baseline
      // would "correct" the cluster back to the previous revision. track() re-queues these keys.
      if (applied !== this.trackedState) {
        for (const k of keys ?? []) this.deferred.add(k);
        return 0;
      }
      const targets = (keys ?? [...this.tracked.keys()])
        .map((k) => [k, this.tracked.get(k)] as const)
        .filter((e): e is readonly [string, Tracked] => e[1] !== undefined);
      if (targets.length === 0) return 0;
      const live = keys ? await this.getEach(targets) : await this.listAll(this.collections);
      const drifted: [string, Tracked, string[]][] = [];
      for (const [k, t] of targets) {
        if (!t.base) continue;
        const paths = driftedPaths(t.base, live.get(k));
        if (paths.length > 0) drifted.push([k, t, paths]);
      }
      if (drifted.length === 0) return 0;
      for (const [k, , paths] of drifted)
        this.log.info({ sync: this.sync, object: k, fields: paths.slice(0, 20) }, 'drift detected; re-applying');
      await this.manager.apply(
        drifted.map(([, t]) => t.desired),
        { force: true },
      );
      const after = await this.getEach(drifted.map(([k, t]) => [k, t] as const));
      for (const [k, t] of drifted) t.base = this.baselineOf(after.get(k)) ?? t.base;
      this.corrections += drifted.length;
      const at = new Date().toISOString();
      for (const [k] of drifted) this.lastCorrected.set(k, at);
      return drifted.length;
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
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }
}
