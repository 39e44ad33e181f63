// The daemon: composes sources, syncs, status and the HTTP endpoints from a DaemonConfig.
// Each piece lives in its own module; this file only wires them together.
//
// Two halves: the endpoints (/status, /healthz, /readyz, hooks) are served by every replica;
// the controllers (source pollers → applies, drift correction, image automation and its
// write-back commits) run only on the leader. Without leader election this process leads.
// Shutdown drains the controllers (an in-flight apply finishes, bounded by a timeout), then
// releases the Lease so a follower takes over at once.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonConfig, SyncSpec } from './config/index.js';
import { resolveSecretRef } from './config/index.js';
import { KubeClient } from './kube/client.js';
import { KubeconfigError } from './kube/locate.js';
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
import { homeKubeClient } from './leader/home-cluster.js';
import { LeaderElector } from './leader/elector.js';
import { LeaseStore } from './leader/lease-store.js';
import type { LeaderElectionOptions } from './leader/options.js';
import { setLeader } from './metrics/index.js';

export interface DaemonOptions {
  /** Where Git object stores live (default $GITOPS_SEAL_DATA or ./.gitops-seal). */
  dataDir: string;
  log: Logger;
  /** Override spec.listen (tests use 127.0.0.1:0). */
  listen?: string;
  /** Namespace for inventories (default gitops-seal-system). */
  inventoryNamespace?: string;
  /** Leader election on a Lease: only the holder runs the controllers. Absent: this process always leads. */
  leaderElection?: LeaderElectionOptions;
  /** Client for the Lease's ("home") cluster; default: in-cluster, or $KUBECONFIG's current context. */
  leaderElectionKube?: KubeClient;
  /** Called once when this replica lost the Lease, after it stopped starting new work (main.ts exits 1 at once). */
  onLostLeadership?: (reason: string) => void;
}

export interface StopOptions {
  /**
   * Bound on the whole shutdown. Most of it goes to letting an in-flight apply or push finish;
   * what is still running after that is abandoned (the process exits), which is safe because
   * the inventory and status record a revision only after all of its objects were applied.
   * Absent: wait for the controllers however long they take.
   */
  timeoutMs?: number;
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
  private elector: LeaderElector | undefined;
  private electionKube: KubeClient | undefined;
  /** The controllers were started (this replica leads) and not stopped yet. */
  private running = false;
  private controllersStopped: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

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
      c = await KubeClient.load(kubeLoadOptions(spec), { kubeconfigWorker: true }).catch((err: unknown) => {
        throw err instanceof KubeconfigError ? new KubeconfigError(`sync "${spec.name}": ${err.message}`) : err;
      });
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

  /** Serve the endpoints, then run the controllers — at once, or when this replica becomes leader. */
  async start(): Promise<void> {
    const election = this.opts.leaderElection;
    if (election) {
      // A replica is a follower until it holds the Lease, also in its very first /status.
      this.status.leader = false;
      setLeader(false);
    }
    await this.serve();
    if (election) await this.startElection(election);
    else this.startControllers();
  }

  /** Whether this replica runs the controllers now. */
  get leading(): boolean {
    return this.running;
  }

  private async serve(): Promise<void> {
    const hooks = new Map<string, HookTarget>();
    for (const [name, poller] of this.sources) {
      const wh = poller.spec.webhook;
      if (wh) hooks.set(name, { type: wh.type, secret: () => resolveSecretRef(wh.secretFrom), trigger: () => this.whenLeading(`webhook for source ${name}`, () => void poller.trigger().catch(() => undefined)) });
    }
    this.server = await startServer(this.opts.listen ?? this.config.spec.listen, {
      status: this.status,
      hooks,
      reconcile: (sync) => {
        const ctl = this.syncs.get(sync);
        if (!ctl) return false;
        this.whenLeading(`reconcile request for sync ${sync}`, () => {
          const poller = this.sources.get(ctl.spec.source);
          const rev = poller?.lastRevision;
          if (rev) void ctl.reconcile(rev).catch(() => undefined);
          else void poller?.trigger().catch(() => undefined);
        });
        return true;
      },
    });
    this.opts.log.info({ url: this.server.url }, 'endpoints listening');
  }

  /** Followers accept triggers (the sender cannot know who leads) but only the leader acts; it polls anyway. */
  private whenLeading(what: string, fn: () => void): void {
    if (this.running) fn();
    else this.opts.log.info({ what }, 'trigger ignored: this replica is not the leader');
  }

  private async startElection(election: LeaderElectionOptions): Promise<void> {
    const kube = this.opts.leaderElectionKube ?? (this.electionKube = await homeKubeClient());
    const elector = new LeaderElector(new LeaseStore(kube, { namespace: election.namespace, name: election.name }), election, this.opts.log, {
      onStartedLeading: () => {
        if (this.stopping) return;
        this.status.leader = true;
        setLeader(true);
        this.startControllers();
      },
      onStoppedLeading: (reason) => {
        // Stop applying at once: another replica may take over as soon as our lease expires.
        // No new work starts from here; work in flight is not waited for (main.ts exits now).
        this.status.leader = false;
        setLeader(false);
        void this.stopControllers();
        this.opts.onLostLeadership?.(reason);
      },
    });
    this.elector = elector;
    this.status.leaderElection = () => ({ lease: elector.lease, identity: election.identity, holder: elector.holder });
    elector.start();
  }

  private startControllers(): void {
    if (this.running || this.controllersStopped) return;
    this.running = true;
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

  /** Stop starting work and wait for the work in flight (an apply, a drift correction, a push). Once. */
  private stopControllers(): Promise<void> {
    this.controllersStopped ??= (async () => {
      this.running = false;
      for (const t of this.timers) clearInterval(t);
      for (const d of this.drift.values()) d.stop();
      // Pollers wait for the reconcile they triggered; the image runner for its push.
      await Promise.all([this.images?.stop(), ...[...this.sources.values()].map((p) => p.stop())]);
      // A drift correction or reconcile queued on a sync outside a poller: wait for the queue.
      await Promise.all([...this.syncs.values()].map((c) => c.reapply(() => Promise.resolve(0)).catch(() => 0)));
    })();
    return this.controllersStopped;
  }

  /**
   * Graceful shutdown: drain the controllers (bounded by timeoutMs minus a reserve for the
   * release), release the Lease, close the endpoints and connections. Idempotent.
   */
  stop(opts: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts);
    return this.stopping;
  }

  private async shutdown(opts: StopOptions): Promise<void> {
    const { log } = this.opts;
    const t0 = Date.now();
    const drainMs = opts.timeoutMs === undefined ? undefined : Math.max(0, opts.timeoutMs - Math.min(2500, opts.timeoutMs / 5));
    const drained = await within(this.stopControllers(), drainMs);
    if (!drained) log.warn({ ms: drainMs }, 'shutdown: work still in flight after the drain timeout is abandoned; the recorded revision and inventory stay those of the last complete apply');
    // Only now may a follower take over: we no longer write.
    await this.elector?.stop({ release: true, timeoutMs: Math.min(1500, this.opts.leaderElection?.retryPeriodMs ?? 1500) });
    await this.server?.close();
    for (const c of this.kubeClients.values()) c.close();
    this.electionKube?.close();
    log.info({ ms: Date.now() - t0, drained }, 'shutdown complete');
  }
}

/** Resolves true when p settled within ms (no bound when ms is undefined), false otherwise. */
async function within(p: Promise<unknown>, ms: number | undefined): Promise<boolean> {
  if (ms === undefined) {
    await p.catch(() => undefined);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
