// One sync's life: reconcile a revision (serialized — never two applies of one sync at once),
// remember the last good desired state for drift correction, and publish each outcome on the
// event bus (status, metrics and Kubernetes Events follow from there). A failed revision leaves
// the last good state applied and is reported with stage, file/object and cause.
import type { Logger } from 'pino';
import type { SyncSpec } from '../config/index.js';
import { ResourceManager } from '../apply/index.js';
import { InventoryStore } from '../inventory/inventory.js';
import type { KubeClient } from '../kube/client.js';
import type { Revision } from '../source/index.js';
import {
  AggregateDecryptError,
  SyncKeys,
  type ClusterIdentitySource,
  type ClusterKeyUsage,
  type DecryptFailureReason,
} from '../decrypt/index.js';
import {
  applyDesired,
  cachedCapabilities,
  clusterCapabilities,
  loadRevision,
  managerOptions,
  newRenderCaches,
  PhaseTimer,
  RevisionError,
  syncSettings,
  type ClusterRecipients,
  type DesiredState,
  type FileCache,
  type LoadedRevision,
  type RenderContext,
  type Renderers,
  type SyncDeps,
  type SyncOutcome,
} from '../engine/index.js';
import { now, type EventBus } from '../events/index.js';
import type { FetchedBy } from './source-poller.js';
import { sameObjects, unchangedPlainTree } from './skip.js';

/** Sharding: whether this replica may work on a sync now (absent: always). */
export interface SyncOwnership {
  /** New work (a reconcile, a drift correction) may start. */
  accepts(): boolean;
  /** A write may go out now (fenced by the shard Lease's renew deadline). */
  mayWrite(): boolean;
}

/** Work refused because this replica does not own the sync's shard (now). */
export class NotOwnedError extends Error {
  override readonly name = 'NotOwnedError';
  constructor(
    readonly sync: string,
    readonly what: string,
  ) {
    super(`sync "${sync}": ${what} refused: this replica does not own the sync's shard (now)`);
  }
}

export interface SyncEvents {
  /** The applied state itself (values included: memory only, so it is handed over, never published). */
  onApplied?(sync: string, outcome: SyncOutcome): void;
}

export class SyncController {
  readonly name: string;
  readonly manager: ResourceManager;
  readonly inventory: InventoryStore;
  private readonly keys: SyncKeys;
  private queue: Promise<unknown> = Promise.resolve();
  /** Parsed files by blob id (memory only; decrypted Secrets included). */
  private readonly fileCache: FileCache = new Map();
  /** Renderers, this sync's last renders (memory only) and its cluster's capabilities. */
  private readonly render: RenderContext;
  /** The desired state of the last successfully applied revision (memory only). */
  lastGood: DesiredState | undefined;
  /** The cluster key's recipients for the bind stage (only syncs that decrypt with it). */
  private readonly clusterRecipients: ClusterRecipients | undefined;
  /**
   * The last revision applied — its commit and its identity (a Helm sync's is commit + chart) —
   * and whether an attempt failed since (as /status shows them).
   */
  private applied: { revision: string; identity: string; failedSince: boolean; plainTree?: string | null } | undefined;
  private readonly ownership: SyncOwnership | undefined;

  constructor(
    readonly spec: SyncSpec,
    readonly kube: KubeClient,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly events: SyncEvents = {},
    opts: {
      inventoryNamespace?: string;
      renderers?: Renderers;
      clusterIdentities?: ClusterIdentitySource;
      /** The cluster key's recipients, for the scope-binding stage (syncs that decrypt with it). */
      clusterRecipients?: ClusterRecipients;
      /** Sharding: reconcile and write only while this replica owns the sync's shard. */
      ownership?: SyncOwnership;
    } = {},
  ) {
    this.name = spec.name;
    this.ownership = opts.ownership;
    this.manager = new ResourceManager(kube, managerOptions(spec));
    const own = opts.ownership;
    this.inventory = new InventoryStore(kube, {
      ...(opts.inventoryNamespace ? { namespace: opts.inventoryNamespace } : {}),
      ...(own
        ? {
            beforeWrite: () => {
              if (!own.mayWrite()) throw new NotOwnedError(spec.name, 'inventory write');
            },
          }
        : {}),
    });
    this.keys = new SyncKeys(spec.name, spec.decryption, kube, process.env, opts.clusterIdentities);
    this.clusterRecipients = opts.clusterRecipients;
    const mapper = this.manager.mapper;
    this.render = {
      ...(opts.renderers ? { renderers: opts.renderers } : {}),
      caches: newRenderCaches(),
      capabilities: cachedCapabilities(() => clusterCapabilities(kube, mapper)),
      isUpgrade: async () => ((await this.inventory.load(spec.name))?.entries.length ?? 0) > 0,
    };
  }

  /**
   * Whether a chart repository or registry can move this sync without a commit: its revision
   * identity is then known only after the chart is resolved again (the render cache keeps that
   * cheap), so "same commit" does not mean "nothing to do".
   */
  get identityBeyondCommit(): boolean {
    const chart = this.spec.helm?.chart;
    return chart !== undefined && !('git' in chart);
  }

  /** Whether `commit` is applied and no attempt failed since (nothing to do for it again). */
  upToDate(commit: string): boolean {
    return !this.identityBeyondCommit && this.applied?.revision === commit && !this.applied.failedSince;
  }

  /**
   * A revision from the source's poll: reconciled when new; for a sync whose chart can move
   * without a commit, the chart is resolved again and only a new identity is applied.
   */
  async onRevision(revision: Revision, fetched?: FetchedBy): Promise<void> {
    if (this.upToDate(revision.commit)) return;
    await this.reconcile(revision, { unlessApplied: this.identityBeyondCommit, ...(fetched ? { fetched } : {}) }).catch(() => undefined);
  }

  private async load(revision: Revision, timer?: PhaseTimer): Promise<{ loaded: LoadedRevision; deps: SyncDeps }> {
    const deps: SyncDeps = {
      settings: syncSettings(this.spec),
      manager: this.manager,
      inventory: this.inventory,
      keys: await this.keys.context(),
      fileCache: this.fileCache,
      render: this.render,
      ...(timer ? { timer } : {}),
    };
    const { settings, keys, manager, fileCache, render } = deps;
    const loaded = await loadRevision({
      ...(timer ? { timer } : {}),
      settings,
      revision,
      keys,
      mapper: manager.mapper,
      fileCache,
      ...(render ? { render } : {}),
      ...(this.clusterRecipients ? { clusterRecipients: this.clusterRecipients } : {}),
    });
    return { loaded, deps };
  }

  /** Serialize work on this sync. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Reconcile one revision. Resolves with the outcome, or rejects with the reason (status updated
   * either way). `unlessApplied`: when the revision's identity is the one applied and nothing
   * failed since, nothing is applied or published (the chart did not move).
   */
  reconcile(revision: Revision, opts: { unlessApplied?: boolean; fetched?: FetchedBy } = {}): Promise<SyncOutcome> {
    const called = performance.now();
    return this.serial(async () => {
      // Checked when the work starts, not when it was queued: the shard may have moved meanwhile.
      if (this.ownership && !(this.ownership.accepts() && this.ownership.mayWrite())) throw new NotOwnedError(this.name, 'reconcile');
      // The end-to-end clock starts at the webhook (or timer) that asked for this revision.
      const timer = new PhaseTimer(opts.fetched?.since ?? called, opts.fetched?.phases);
      timer.add('queue', performance.now() - called);
      let early: Awaited<ReturnType<SyncController['load']>> | undefined;
      if (opts.unlessApplied && this.applied && !this.applied.failedSince && this.lastGood) {
        // A failure here is reported by the attempt below, which loads again.
        early = await this.load(revision, timer).catch(() => undefined);
        if (early && early.loaded.revision === this.applied.identity)
          return { ...this.lastGood, changes: NO_CHANGES, pruned: 0, health: [] };
      }
      const t0 = Date.now();
      this.bus.publish({ type: 'sync.started', sync: this.name, revision: revision.commit, at: now() });
      try {
        // A new commit that left this sync's inputs as they were: nothing is sent to the cluster.
        const tree = await timer.time('walk', () => unchangedPlainTree(this.applied, this.lastGood, revision, this.spec.path));
        if (tree.unchanged && this.lastGood) return this.unchanged(revision, revision.commit, this.lastGood, timer, t0, tree.id);
        const { loaded, deps } = early ?? (await this.load(revision, timer));
        if (this.lastGood && this.applied && !this.applied.failedSince && this.applied.revision !== revision.commit) {
          if (timer.timeSync('dry-run', () => sameObjects(loaded, this.lastGood as DesiredState)))
            return this.unchanged(revision, loaded.revision, this.lastGood, timer, t0, loaded.renderedBy ? null : tree.id);
        }
        const outcome = await applyDesired(deps, loaded, this.lastGood, { applyAll: this.applied?.failedSince === true });
        this.lastGood = outcome;
        this.applied = {
          revision: revision.commit,
          identity: outcome.revision,
          failedSince: false,
          plainTree: loaded.renderedBy ? null : tree.id,
        };
        const statusStart = performance.now();
        this.log.info(
          {
            sync: this.name,
            revision: revision.commit,
            ms: Date.now() - t0,
            changes: outcome.changes,
            pruned: outcome.pruned,
            decryptedFiles: outcome.decryptedFiles.length,
          },
          'revision applied',
        );
        for (const w of outcome.warnings) this.log.warn({ sync: this.name }, w);
        const { changes, pruned } = outcome;
        this.bus.publish({
          type: 'sync.applied',
          sync: this.name,
          revision: outcome.revision,
          at: now(),
          objects: outcome.objects.length,
          changes,
          pruned,
          decryptedFiles: outcome.decryptedFiles.length,
          warnings: outcome.warnings,
          durationMs: Date.now() - t0,
          ...(outcome.helm ? { helm: outcome.helm } : {}),
        });
        this.events.onApplied?.(this.name, outcome);
        timer.add('status', performance.now() - statusStart);
        this.publishTimings(outcome.revision, 'applied', timer);
        return outcome;
      } catch (err) {
        const statusStart = performance.now();
        const e = err instanceof Error ? err : new Error(String(err));
        const stage = err instanceof RevisionError ? err.stage : 'internal';
        if (this.applied) this.applied.failedSince = true;
        const decryptFailures = err instanceof RevisionError && stage === 'decrypt' ? decryptReasons(err) : [];
        this.log.error(
          { sync: this.name, revision: revision.commit, stage, err: e.message },
          'revision refused; last good revision stays applied',
        );
        this.bus.publish({
          type: 'sync.refused',
          sync: this.name,
          revision: revision.commit,
          at: now(),
          stage,
          message: e.message,
          decryptFailures,
          durationMs: Date.now() - t0,
        });
        timer.add('status', performance.now() - statusStart);
        this.publishTimings(revision.commit, 'refused', timer);
        throw e;
      }
    });
  }

  /**
   * A new commit whose inputs for this sync are unchanged: recorded as applied (status, metrics,
   * history show the new revision) without a request to the cluster. The desired state stays the
   * same object, so the drift detector's baseline (tracked by identity) stays valid.
   */
  private unchanged(
    revision: Revision,
    identity: string,
    good: DesiredState,
    timer: PhaseTimer,
    t0: number,
    plainTree: string | null | undefined,
  ): SyncOutcome {
    const statusStart = performance.now();
    good.revision = identity;
    this.applied = { revision: revision.commit, identity, failedSince: false, ...(plainTree !== undefined ? { plainTree } : {}) };
    this.log.info({ sync: this.name, revision: revision.commit, ms: Date.now() - t0 }, 'inputs unchanged; revision recorded as applied');
    const changes = { ...NO_CHANGES, unchanged: good.objects.length };
    this.bus.publish({
      type: 'sync.applied',
      sync: this.name,
      revision: identity,
      at: now(),
      objects: good.objects.length,
      changes,
      pruned: 0,
      decryptedFiles: good.decryptedFiles.length,
      warnings: good.warnings,
      durationMs: Date.now() - t0,
      ...(good.helm ? { helm: good.helm } : {}),
      unchanged: true,
    });
    timer.add('status', performance.now() - statusStart);
    this.publishTimings(identity, 'unchanged', timer);
    return { ...good, changes, pruned: 0, health: [] };
  }

  private publishTimings(revision: string, result: 'applied' | 'unchanged' | 'refused', timer: PhaseTimer): void {
    const t = timer.finish();
    this.bus.publish({
      type: 'sync.timed',
      sync: this.name,
      revision,
      result,
      totalMs: t.totalMs,
      phases: t.phases,
      otherMs: t.otherMs,
      at: now(),
    });
  }

  /** How the applied revision's encrypted files use the cluster key (undefined: the sync does not use it). */
  clusterKeyUsage(): ClusterKeyUsage | undefined {
    return this.keys.clusterKeyUsage(this.lastGood?.decryptedFiles ?? []);
  }

  /**
   * Sharding: the shard came (back) to this replica, and another may have applied in between:
   * start from nothing, as a new leader does, so the source's head is applied in full.
   */
  forget(): void {
    this.applied = undefined;
    this.lastGood = undefined;
  }

  /** Wait for the work queued on this sync (a release drains it). */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** Re-apply the last good state's objects that drifted (serialized with reconciles). */
  reapply(drifted: (d: DesiredState) => Promise<number>): Promise<number> {
    return this.serial(async () => {
      if (!this.lastGood) return 0;
      if (this.ownership && !(this.ownership.accepts() && this.ownership.mayWrite())) return 0;
      const n = await drifted(this.lastGood);
      if (n > 0) this.bus.publish({ type: 'drift.corrected', sync: this.name, objects: n, at: now() });
      return n;
    });
  }
}

const NO_CHANGES: SyncOutcome['changes'] = { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0 };

/** One reason per file that failed to decrypt (a document left encrypted counts as not-covered). */
function decryptReasons(err: RevisionError): DecryptFailureReason[] {
  return err.cause instanceof AggregateDecryptError ? err.cause.errors.map((e) => e.reason) : err.problems.map(() => 'not-covered');
}
