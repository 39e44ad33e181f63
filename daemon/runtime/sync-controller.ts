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
  private applied: { revision: string; identity: string; failedSince: boolean } | undefined;

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
    } = {},
  ) {
    this.name = spec.name;
    this.manager = new ResourceManager(kube, managerOptions(spec));
    this.inventory = new InventoryStore(kube, opts.inventoryNamespace ? { namespace: opts.inventoryNamespace } : {});
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
  async onRevision(revision: Revision): Promise<void> {
    if (this.upToDate(revision.commit)) return;
    await this.reconcile(revision, { unlessApplied: this.identityBeyondCommit }).catch(() => undefined);
  }

  private async load(revision: Revision): Promise<{ loaded: LoadedRevision; deps: SyncDeps }> {
    const deps: SyncDeps = {
      settings: syncSettings(this.spec),
      manager: this.manager,
      inventory: this.inventory,
      keys: await this.keys.context(),
      fileCache: this.fileCache,
      render: this.render,
    };
    const { settings, keys, manager, fileCache, render } = deps;
    const loaded = await loadRevision({
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
  reconcile(revision: Revision, opts: { unlessApplied?: boolean } = {}): Promise<SyncOutcome> {
    return this.serial(async () => {
      let early: Awaited<ReturnType<SyncController['load']>> | undefined;
      if (opts.unlessApplied && this.applied && !this.applied.failedSince && this.lastGood) {
        // A failure here is reported by the attempt below, which loads again.
        early = await this.load(revision).catch(() => undefined);
        if (early && early.loaded.revision === this.applied.identity)
          return { ...this.lastGood, changes: NO_CHANGES, pruned: 0, health: [] };
      }
      const t0 = Date.now();
      this.bus.publish({ type: 'sync.started', sync: this.name, revision: revision.commit, at: now() });
      try {
        const { loaded, deps } = early ?? (await this.load(revision));
        const outcome = await applyDesired(deps, loaded, this.lastGood);
        this.lastGood = outcome;
        this.applied = { revision: revision.commit, identity: outcome.revision, failedSince: false };
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
        return outcome;
      } catch (err) {
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
        throw e;
      }
    });
  }

  /** How the applied revision's encrypted files use the cluster key (undefined: the sync does not use it). */
  clusterKeyUsage(): ClusterKeyUsage | undefined {
    return this.keys.clusterKeyUsage(this.lastGood?.decryptedFiles ?? []);
  }

  /** Re-apply the last good state's objects that drifted (serialized with reconciles). */
  reapply(drifted: (d: DesiredState) => Promise<number>): Promise<number> {
    return this.serial(async () => {
      if (!this.lastGood) return 0;
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
