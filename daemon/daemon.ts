// The daemon: composes sources, syncs, status and the HTTP endpoints from a DaemonConfig.
// Each piece lives in its own module; this file only wires them together.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonConfig, SyncSpec } from './config/index.js';
import { resolveSecretRef } from './config/index.js';
import { KubeClient } from './kube/client.js';
import { stripUserinfo } from './source/errors.js';
import { kubeClientKey, kubeLoadOptions } from './engine/settings.js';
import type { Logger } from './log.js';
import { SourcePoller } from './runtime/source-poller.js';
import { SyncController } from './runtime/sync-controller.js';
import { DriftDetector } from './drift/detector.js';
import { ImageAutomationRunner } from './runtime/image-automation.js';
import { registryTotals } from './images/metrics.js';
import { EventRecorder } from './events/recorder.js';
import { DEFAULT_INVENTORY_NAMESPACE } from './inventory/inventory.js';
import { startServer, type HookTarget } from './status/server.js';
import { StatusStore } from './status/status.js';

export interface DaemonOptions {
  /** Where Git object stores live (default $GITOPS_SEAL_DATA or ./.gitops-seal). */
  dataDir: string;
  log: Logger;
  /** Override spec.listen (tests use 127.0.0.1:0). */
  listen?: string;
  /** Namespace for inventories (default gitops-seal-system). */
  inventoryNamespace?: string;
}

export class Daemon {
  readonly status = new StatusStore();
  readonly sources = new Map<string, SourcePoller>();
  readonly syncs = new Map<string, SyncController>();
  readonly drift = new Map<string, DriftDetector>();
  private readonly kubeClients = new Map<string, KubeClient>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** sync+revision pairs already announced by an Event (no event storm on no-op reconciles). */
  private readonly announced = new Set<string>();
  images: ImageAutomationRunner | undefined;
  private server: Awaited<ReturnType<typeof startServer>> | undefined;
  private stopped = false;

  constructor(
    readonly config: DaemonConfig,
    private readonly opts: DaemonOptions,
  ) {}

  get url(): string | undefined {
    return this.server?.url;
  }

  private async kubeFor(spec: SyncSpec): Promise<KubeClient> {
    const key = kubeClientKey(spec);
    let c = this.kubeClients.get(key);
    if (!c) {
      c = await KubeClient.load(kubeLoadOptions(spec));
      this.kubeClients.set(key, c);
    }
    return c;
  }

  /** Build sources and syncs (no network yet). */
  async init(): Promise<void> {
    const { log } = this.opts;
    const gitDir = join(this.opts.dataDir, 'git');
    mkdirSync(gitDir, { recursive: true });
    for (const s of this.config.spec.sources) {
      this.sources.set(s.name, new SourcePoller(s, gitDir, this.status.source(s.name, stripUserinfo(s.url)), log));
    }
    for (const spec of this.config.spec.syncs) {
      const kube = await this.kubeFor(spec);
      const events = new EventRecorder(kube, this.opts.inventoryNamespace ?? DEFAULT_INVENTORY_NAMESPACE);
      const ctl: SyncController = new SyncController(
        spec,
        kube,
        this.status.sync(spec.name, spec.source),
        log,
        {
          // Every applied revision becomes the new drift baseline.
          onApplied: (_sync, outcome) => {
            void this.drift.get(spec.name)?.track(outcome).catch((err: unknown) => log.warn({ sync: spec.name, err: err instanceof Error ? err.message : String(err) }, 'drift tracking failed'));
            const c = outcome.changes;
            if (!this.announced.has(spec.name + outcome.revision)) {
              this.announced.add(spec.name + outcome.revision);
              void events.record(spec.name, 'Normal', 'ReconciliationSucceeded', `revision ${outcome.revision.slice(0, 12)} applied: ${outcome.objects.length} objects (${c.created} created, ${c.configured} configured, ${outcome.pruned} pruned)`);
            }
          },
          onFailed: (_sync, revision, err) => {
            void events.record(spec.name, 'Warning', 'ReconciliationFailed', `revision ${revision.slice(0, 12)}: ${err.message}`);
          },
        },
        this.opts.inventoryNamespace ? { inventoryNamespace: this.opts.inventoryNamespace } : {},
      );
      this.syncs.set(spec.name, ctl);
      this.drift.set(spec.name, new DriftDetector(spec.name, ctl.manager, ctl, log));
      const poller = this.sources.get(spec.source);
      poller?.onRevision(async (rev) => {
        if (ctl.status.appliedRevision === rev.commit && !ctl.status.lastError) return;
        await ctl.reconcile(rev).catch(() => undefined);
      });
    }
    this.initImages();
  }

  private initImages(): void {
    const spec = this.config.spec;
    if (spec.images.length === 0 && spec.imageUpdates.length === 0) return;
    const dir = join(this.opts.dataDir, 'writeback');
    mkdirSync(dir, { recursive: true });
    this.images = new ImageAutomationRunner(this.config, dir, this.opts.log, (source) => {
      void this.sources.get(source)?.trigger().catch(() => undefined);
    });
    const runner = this.images;
    this.status.images = () => runner.imageStatus();
    this.status.imageUpdates = () => runner.automationStatus();
    this.status.registries = () => registryTotals();
  }

  /** One reconcile of every sync; resolves with the errors (empty = success). For --once. */
  async once(): Promise<Error[]> {
    const errors: Error[] = [];
    for (const [name, poller] of this.sources) {
      try {
        await poller.poll();
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(`source ${name}: ${String(err)}`));
      }
    }
    for (const ctl of this.syncs.values()) {
      if (ctl.status.lastError) errors.push(new Error(ctl.status.lastError.message));
      else if (!ctl.status.appliedRevision && !errors.length) errors.push(new Error(`sync "${ctl.name}": no revision applied`));
    }
    return errors;
  }

  /** Serve endpoints and start polling. */
  async start(): Promise<void> {
    const hooks = new Map<string, HookTarget>();
    for (const [name, poller] of this.sources) {
      const wh = poller.spec.webhook;
      if (wh) hooks.set(name, { type: wh.type, secret: () => resolveSecretRef(wh.secretFrom), trigger: () => void poller.trigger().catch(() => undefined) });
    }
    this.server = await startServer(this.opts.listen ?? this.config.spec.listen, {
      status: this.status,
      hooks,
      reconcile: (sync) => {
        const ctl = this.syncs.get(sync);
        if (!ctl) return false;
        const poller = this.sources.get(ctl.spec.source);
        const rev = poller?.lastRevision;
        if (rev) void ctl.reconcile(rev).catch(() => undefined);
        else void poller?.trigger().catch(() => undefined);
        return true;
      },
    });
    this.opts.log.info({ url: this.server.url }, 'endpoints listening');
    for (const p of this.sources.values()) p.start();
    this.images?.start();
    // Periodic full drift check per sync (covers watch events that were missed).
    for (const [name, ctl] of this.syncs) {
      const t = setInterval(() => {
        void this.drift.get(name)?.fullCheck().catch((err: unknown) => this.opts.log.warn({ sync: name, err: err instanceof Error ? err.message : String(err) }, 'full drift check failed'));
      }, ctl.spec.intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const d of this.drift.values()) d.stop();
    await this.images?.stop();
    await Promise.all([...this.sources.values()].map((p) => p.stop()));
    await this.server?.close();
    for (const c of this.kubeClients.values()) c.close();
  }
}
