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
import { AggregateDecryptError, SyncKeys, type DecryptFailureReason } from '../decrypt/index.js';
import {
  managerOptions,
  reconcile,
  RevisionError,
  syncSettings,
  type DesiredState,
  type FileCache,
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
  /** The desired state of the last successfully applied revision (memory only). */
  lastGood: DesiredState | undefined;
  /** The last revision applied, and whether an attempt failed since (as /status shows them). */
  private applied: { revision: string; failedSince: boolean } | undefined;

  constructor(
    readonly spec: SyncSpec,
    readonly kube: KubeClient,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly events: SyncEvents = {},
    opts: { inventoryNamespace?: string } = {},
  ) {
    this.name = spec.name;
    this.manager = new ResourceManager(kube, managerOptions(spec));
    this.inventory = new InventoryStore(kube, opts.inventoryNamespace ? { namespace: opts.inventoryNamespace } : {});
    this.keys = new SyncKeys(spec.name, spec.decryption, kube);
  }

  /** Whether `commit` is applied and no attempt failed since (nothing to do for it again). */
  upToDate(commit: string): boolean {
    return this.applied?.revision === commit && !this.applied.failedSince;
  }

  /** Serialize work on this sync. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reconcile one revision. Resolves with the outcome, or rejects with the reason (status updated either way). */
  reconcile(revision: Revision): Promise<SyncOutcome> {
    return this.serial(async () => {
      const t0 = Date.now();
      this.bus.publish({ type: 'sync.started', sync: this.name, revision: revision.commit, at: now() });
      try {
        const deps: SyncDeps = {
          settings: syncSettings(this.spec),
          manager: this.manager,
          inventory: this.inventory,
          keys: await this.keys.context(),
          fileCache: this.fileCache,
        };
        const outcome = await reconcile(deps, revision, this.lastGood);
        this.lastGood = outcome;
        this.applied = { revision: revision.commit, failedSince: false };
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
          revision: revision.commit,
          at: now(),
          objects: outcome.objects.length,
          changes,
          pruned,
          decryptedFiles: outcome.decryptedFiles.length,
          warnings: outcome.warnings,
          durationMs: Date.now() - t0,
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

/** One reason per file that failed to decrypt (a document left encrypted counts as not-covered). */
function decryptReasons(err: RevisionError): DecryptFailureReason[] {
  return err.cause instanceof AggregateDecryptError ? err.cause.errors.map((e) => e.reason) : err.problems.map(() => 'not-covered');
}
