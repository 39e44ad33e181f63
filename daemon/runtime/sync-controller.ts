// One sync's life: reconcile a revision (serialized — never two applies of one sync at once),
// remember the last good desired state for drift correction, and keep its status. A failed
// revision leaves the last good state applied and is reported with stage, file/object and cause.
import type { Logger } from 'pino';
import type { SyncSpec } from '../config/index.js';
import { ResourceManager } from '../apply/manager.js';
import { InventoryStore } from '../inventory/inventory.js';
import type { KubeClient } from '../kube/client.js';
import type { Revision } from '../source/types.js';
import { AggregateDecryptError, SyncKeys, type DecryptFailureReason } from '../decrypt/index.js';
import { initDecryptMetrics, initSyncMetrics, observeSync, recordDecryptFailures } from '../metrics/index.js';
import { managerOptions, reconcile, RevisionError, syncSettings, type DesiredState, type FileCache, type SyncDeps, type SyncOutcome } from '../engine/index.js';
import type { SyncStatus } from '../status/status.js';

export interface SyncEvents {
  onApplied?(sync: string, outcome: SyncOutcome): void;
  onFailed?(sync: string, revision: string, err: Error): void;
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

  constructor(
    readonly spec: SyncSpec,
    readonly kube: KubeClient,
    readonly status: SyncStatus,
    private readonly log: Logger,
    private readonly events: SyncEvents = {},
    opts: { inventoryNamespace?: string } = {},
  ) {
    this.name = spec.name;
    this.manager = new ResourceManager(kube, managerOptions(spec));
    this.inventory = new InventoryStore(kube, opts.inventoryNamespace ? { namespace: opts.inventoryNamespace } : {});
    this.keys = new SyncKeys(spec.name, spec.decryption, kube);
    initSyncMetrics(spec.name);
    initDecryptMetrics(spec.name);
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
      this.status.attemptedRevision = revision.commit;
      this.status.lastAttemptAt = new Date().toISOString();
      try {
        const deps: SyncDeps = { settings: syncSettings(this.spec), manager: this.manager, inventory: this.inventory, keys: await this.keys.context(), fileCache: this.fileCache };
        const outcome = await reconcile(deps, revision, this.lastGood);
        this.lastGood = outcome;
        Object.assign(this.status, {
          appliedRevision: revision.commit,
          objects: outcome.objects.length,
          lastAppliedAt: new Date().toISOString(),
          ready: true,
        });
        delete this.status.lastError;
        if (outcome.warnings.length > 0) this.status.warnings = outcome.warnings;
        else delete this.status.warnings;
        this.log.info(
          { sync: this.name, revision: revision.commit, ms: Date.now() - t0, changes: outcome.changes, pruned: outcome.pruned, decryptedFiles: outcome.decryptedFiles.length },
          'revision applied',
        );
        observeSync(this.name, 'success', (Date.now() - t0) / 1000);
        for (const w of outcome.warnings) this.log.warn({ sync: this.name }, w);
        this.events.onApplied?.(this.name, outcome);
        return outcome;
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        const stage = err instanceof RevisionError ? err.stage : 'internal';
        this.status.lastError = { stage, message: e.message, at: new Date().toISOString(), revision: revision.commit };
        observeSync(this.name, 'failure', (Date.now() - t0) / 1000, stage);
        if (err instanceof RevisionError && stage === 'decrypt') recordDecryptFailures(this.name, decryptReasons(err));
        this.log.error({ sync: this.name, revision: revision.commit, stage, err: e.message }, 'revision refused; last good revision stays applied');
        this.events.onFailed?.(this.name, revision.commit, e);
        throw e;
      }
    });
  }

  /** Re-apply the last good state's objects that drifted (serialized with reconciles). */
  reapply(drifted: (d: DesiredState) => Promise<number>): Promise<number> {
    return this.serial(async () => {
      if (!this.lastGood) return 0;
      const n = await drifted(this.lastGood);
      this.status.driftCorrections += n;
      return n;
    });
  }
}

/** One reason per file that failed to decrypt (a document left encrypted counts as not-covered). */
function decryptReasons(err: RevisionError): DecryptFailureReason[] {
  return err.cause instanceof AggregateDecryptError ? err.cause.errors.map((e) => e.reason) : err.problems.map(() => 'not-covered');
}
