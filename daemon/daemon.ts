// The daemon's lifecycle: init (assemble sources and syncs, runtime/assembly.ts), serve (one
// HTTP listener whose routes come from their owners), start (the controllers, at once or when
// elected), stop (drain, release the Lease, close). Status, metrics and Kubernetes Events follow
// the event bus; this file only wires them together.
//
// Two halves: the endpoints (/status, /healthz, /readyz, hooks) are served by every replica;
// the controllers (source pollers → applies, drift correction, image automation and its
// write-back commits) run only on the leader. Without leader election this process leads.
// Shutdown drains the controllers (an in-flight apply finishes, bounded by a timeout), then
// releases the Lease so a follower takes over at once.
import type { DaemonConfig } from './config/index.js';
import type { KubeClient, RequestOptions } from './kube/client.js';
import { stripUserinfo } from './source/index.js';
import type { Logger } from './log.js';
import { EventBus, now } from './events/index.js';
import { startHttpServer, type HttpServer } from './http/index.js';
import { StatusStore, statusRoutes } from './status/index.js';
import { followEvents, metricsRoutes } from './metrics/index.js';
import { registryTotals } from './images/metrics.js';
import { hookRoutes } from './webhook/routes.js';
import { DEFAULT_LEADER_ELECTION, defaultIdentity, homeKubeClient, within } from './leader/index.js';
import { ClusterKeyService, keysRoutes } from './cluster-key/index.js';
import { FLEET_REFRESH_MS, uiRoutes } from './ui/index.js';
import { Fleet } from './fleet/index.js';
import { LeaderElector } from './leader/index.js';
import { LeaseStore } from './leader/index.js';
import type { LeaderElectionOptions } from './leader/index.js';
import { assemble, type Assembly } from './runtime/assembly.js';
import { hookTargets, reconcileRoutes } from './runtime/triggers.js';
import type { SourcePoller } from './runtime/source-poller.js';
import type { SyncController } from './runtime/sync-controller.js';
import type { DriftDetector } from './drift/detector.js';
import type { ImageAutomationRunner } from './runtime/image-automation.js';
import { GroupLeaseApi, ShardCoordinator, ShardedWork, SINGLETON_SHARD, type ShardingOptions } from './shard/index.js';
import { countShardMove, initShardMetrics, setShardOwned } from './metrics/index.js';

export interface DaemonOptions {
  /** Where Git object stores live (default $GITOPS_SEAL_DATA or ./.gitops-seal). */
  dataDir: string;
  log: Logger;
  /** Override spec.listen (tests use 127.0.0.1:0). */
  listen?: string;
  /** Namespace for inventories (default gitops-seal-system). */
  inventoryNamespace?: string;
  /** Where GITOPS_SEAL_KUSTOMIZE / GITOPS_SEAL_HELM / PATH find the renderers (default process.env). */
  rendererEnv?: NodeJS.ProcessEnv;
  /** Leader election on a Lease: only the holder runs the controllers. Absent: this process always leads. */
  leaderElection?: LeaderElectionOptions;
  /**
   * Client for the daemon's "home" cluster (the Lease's and the cluster key's); default:
   * in-cluster, or $KUBECONFIG's current context — never a sync's kubeconfig.
   */
  leaderElectionKube?: KubeClient;
  /**
   * The daemon's own namespace in its home cluster: the cluster key's Secret and ConfigMap live
   * there (main.ts passes --leader-election-namespace, which deploy/ sets to $(POD_NAMESPACE)).
   * Default gitops-seal-system.
   */
  homeNamespace?: string;
  /**
   * Sharding (--shards): syncs spread over replicas by shard Leases (daemon/shard/README.md);
   * replaces leaderElection. Absent: leader election or a single process.
   */
  sharding?: ShardingOptions;
  /** Called once when this replica lost the Lease (or a shard's), after it stopped starting new work (main.ts exits 1 at once). */
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
  /** Everything that happens (sync outcomes, fetches, drift, pushes, leadership), as typed events. */
  readonly bus: EventBus;
  readonly status: StatusStore;
  private parts: Assembly | undefined;
  private server: HttpServer | undefined;
  private elector: LeaderElector | undefined;
  /** With --shards: the syncs' shards and this replica's side of the group. */
  private readonly work: ShardedWork | undefined;
  private coordinator: ShardCoordinator | undefined;
  private electionKube: KubeClient | undefined;
  /** spec.clusterKey enabled: the key's store, keyring and (while leading) holder. */
  private clusterKey: ClusterKeyService | undefined;
  /** The controllers were started (this replica leads) and not stopped yet. */
  private running = false;
  private controllersStopped: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: DaemonConfig,
    private readonly opts: DaemonOptions,
  ) {
    this.bus = new EventBus((err, type) =>
      opts.log.warn({ event: type, err: err instanceof Error ? err.message : String(err) }, 'event subscriber failed'),
    );
    const spec = config.spec;
    this.status = new StatusStore({ sources: spec.sources.map((s) => ({ name: s.name, url: stripUserinfo(s.url) })), syncs: spec.syncs });
    this.status.follow(this.bus);
    followEvents(
      this.bus,
      spec.syncs.map((s) => s.name),
      spec.sources.map((s) => s.name),
    );
    if (opts.sharding) {
      const work = new ShardedWork(
        opts.sharding.shards,
        spec.syncs.map((s) => s.name),
      );
      this.work = work;
      const { identity, group, shards } = opts.sharding;
      this.status.provide({
        sharding: () => work.status() ?? { identity, group, shards, owned: [], members: [] },
        syncShard: (sync) => work.syncShard(sync),
      });
      initShardMetrics(shards);
    }
  }

  get url(): string | undefined {
    return this.server?.url;
  }

  /** The assembled parts, by name (empty before init). */
  get sources(): ReadonlyMap<string, SourcePoller> {
    return this.parts?.sources ?? new Map();
  }
  get syncs(): ReadonlyMap<string, SyncController> {
    return this.parts?.syncs ?? new Map();
  }
  get drift(): ReadonlyMap<string, DriftDetector> {
    return this.parts?.drift ?? new Map();
  }
  get images(): ImageAutomationRunner | undefined {
    return this.parts?.images;
  }

  /** Build sources and syncs (no network yet). */
  async init(): Promise<void> {
    const { dataDir, log, inventoryNamespace, rendererEnv } = this.opts;
    const keySpec = this.config.spec.clusterKey;
    if (keySpec?.enabled) {
      const svc = new ClusterKeyService(
        await this.homeKube(),
        this.opts.homeNamespace ??
          this.opts.leaderElection?.namespace ??
          this.opts.sharding?.namespace ??
          DEFAULT_LEADER_ELECTION.namespace,
        keySpec,
        log,
      );
      this.clusterKey = svc;
      this.status.provide({ clusterKey: () => svc.status() });
    }
    this.parts = await assemble(this.config, this.bus, {
      dataDir,
      log,
      ...(inventoryNamespace ? { inventoryNamespace } : {}),
      ...(rendererEnv ? { rendererEnv } : {}),
      ...(this.clusterKey ? { clusterKey: this.clusterKey } : {}),
      homeSecrets: () => this.homeKube(),
      ...(this.work ? { ownership: this.work } : {}),
    });
    const notifier = this.parts.notifier;
    if (notifier.enabled) this.status.provide({ notifications: () => notifier.channels() });
    const runner = this.parts.images;
    if (runner)
      this.status.provide({
        images: () => runner.imageStatus(),
        imageUpdates: () => runner.automationStatus(),
        registries: () => registryTotals(),
      });
  }

  /** The home cluster's client: the one given, else loaded once (closed at shutdown). */
  private async homeKube(): Promise<KubeClient> {
    return this.opts.leaderElectionKube ?? (this.electionKube ??= await homeKubeClient(process.env, this.opts.sharding ? 8 : 2));
  }

  /** One reconcile of every sync; resolves with the errors (empty = success). For --once. */
  async once(): Promise<Error[]> {
    const errors: Error[] = [];
    // The only process: it makes sure the key exists (and is published) before syncs need it.
    const check = await this.clusterKey?.checkOnce();
    if (check?.error) errors.push(new Error(check.error));
    for (const [name, poller] of this.sources) {
      try {
        await poller.poll();
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(`source ${name}: ${String(err)}`));
      }
    }
    for (const name of this.syncs.keys()) {
      const st = this.status.sync(name);
      if (st?.lastError) errors.push(new Error(st.lastError.message));
      else if (!st?.appliedRevision && !errors.length) errors.push(new Error(`sync "${name}": no revision applied`));
    }
    return errors;
  }

  /** Serve the endpoints, then run the controllers — at once, or when this replica becomes leader. */
  async start(): Promise<void> {
    const election = this.opts.leaderElection;
    const sharding = this.opts.sharding;
    // A replica is a follower until it holds the Lease (sharded: shard 0), also in its very first /status.
    if (election || sharding) this.bus.publish({ type: 'leader.changed', leader: false, at: now() });
    await this.serve();
    // A follower's /status shows the key too (the holder reads it on the leader).
    this.clusterKey?.prime();
    if (sharding) await this.startSharding(sharding);
    else if (election) await this.startElection(election);
    else this.startControllers();
  }

  /** Whether this replica runs the controllers now. */
  get leading(): boolean {
    return this.running;
  }

  /** The one HTTP listener; each route comes from its owner. */
  private async serve(): Promise<void> {
    const parts = { sources: this.sources, syncs: this.syncs };
    const fleet = this.fleet();
    const gate = (what: string, fn: () => void): void => this.whenLeading(what, fn);
    const listen = this.opts.listen ?? this.config.spec.listen;
    // The web page reads the same status, bus and runtime parts (daemon/ui/README.md).
    const [syncs, drift, sources] = [() => this.syncs, () => this.drift, () => this.sources];
    const { config, bus } = this;
    const fleetStatus = { snapshot: () => fleet.status() };
    const ui = uiRoutes({
      config,
      listen,
      status: fleetStatus,
      bus,
      log: this.opts.log,
      syncs,
      drift,
      sources,
      homeKube: () => this.homeKube(),
      ...(this.opts.sharding ? { fleetRefreshMs: FLEET_REFRESH_MS } : {}),
    });
    this.server = await startHttpServer(listen, [
      statusRoutes(this.status, fleet),
      metricsRoutes(this.status),
      hookRoutes(hookTargets(parts, gate), fleet),
      reconcileRoutes(parts, gate, fleet),
      keysRoutes(this.clusterKey?.keyring),
      ...(ui ? [ui] : []),
    ]);
    this.opts.log.info({ url: this.server.url }, 'endpoints listening');
  }

  /**
   * Every replica answers for the fleet (daemon/fleet/): inert until this replica's /status
   * carries `sharding` (--shards), then /status, the page, hooks and reconcile requests reach
   * each sync's owner through the group's Leases in the home cluster.
   */
  private fleet(): Fleet {
    const election = this.opts.leaderElection;
    const sharding = this.opts.sharding;
    return new Fleet({
      kube: { request: async <T>(path: string, opts?: RequestOptions): Promise<T> => (await this.homeKube()).request<T>(path, opts) },
      namespace: sharding?.namespace ?? election?.namespace ?? this.opts.homeNamespace ?? DEFAULT_LEADER_ELECTION.namespace,
      group: sharding?.group ?? election?.name ?? DEFAULT_LEADER_ELECTION.name,
      identity: sharding?.identity ?? election?.identity ?? defaultIdentity(),
      local: () => this.status.snapshot(),
      // The owners' own map: the fleet view and the forwarders agree with the work they run.
      shardOfSync: (name) => this.work?.shardOfSync(name) ?? SINGLETON_SHARD,
      log: this.opts.log,
      // An owner that is gone is replaced about a lease duration later: retry then.
      ...(sharding ? { retryAfterSeconds: Math.max(1, Math.ceil(sharding.leaseDurationMs / 1000)) } : {}),
    });
  }

  /** Followers accept triggers (the sender cannot know who leads) but only the leader acts; it polls anyway. */
  private whenLeading(what: string, fn: () => void): void {
    if (this.running) fn();
    else this.opts.log.info({ what }, 'trigger ignored: this replica is not the leader');
  }

  private async startElection(election: LeaderElectionOptions): Promise<void> {
    const kube = await this.homeKube();
    const elector = new LeaderElector(
      new LeaseStore(kube, { namespace: election.namespace, name: election.name }),
      election,
      this.opts.log,
      {
        onStartedLeading: () => {
          if (this.stopping) return;
          this.bus.publish({ type: 'leader.changed', leader: true, at: now() });
          this.startControllers();
        },
        onStoppedLeading: (reason) => {
          // Stop applying at once: another replica may take over as soon as our lease expires.
          // No new work starts from here; work in flight is not waited for (main.ts exits now).
          this.bus.publish({ type: 'leader.changed', leader: false, at: now() });
          void this.stopControllers();
          this.opts.onLostLeadership?.(reason);
        },
      },
    );
    this.elector = elector;
    this.status.provide({ leaderElection: () => ({ lease: elector.lease, identity: election.identity, holder: elector.holder }) });
    elector.start();
  }

  /**
   * Sharded: the controllers run at once but each sync works only while its shard is owned
   * (the assembly asks this.work); shards come and go through the coordinator's callbacks.
   */
  private async startSharding(sharding: ShardingOptions): Promise<void> {
    const work = this.work;
    const parts = this.parts;
    if (!work || !parts) throw new Error('daemon: init() must run before start()');
    const key = this.clusterKey;
    const coordinator = new ShardCoordinator(
      new GroupLeaseApi(await this.homeKube(), sharding.namespace, sharding.group),
      { ...sharding, mapFingerprint: work.map.fingerprint },
      this.opts.log,
      work.callbacks(
        { ...parts, ...(key ? { lead: () => key.lead(), unlead: () => key.unlead() } : {}) },
        {
          onLeader: (leader) => this.bus.publish({ type: 'leader.changed', leader, at: now() }),
          onOwned: setShardOwned,
          onLost: (_shard, reason) => {
            // As with the leader Lease: no new work from here on, work in flight is not waited
            // for, and main.ts exits at once (daemon/shard/README.md says why).
            this.bus.publish({ type: 'leader.changed', leader: false, at: now() });
            void this.stopControllers();
            this.opts.onLostLeadership?.(reason);
          },
        },
      ),
    );
    coordinator.onMove = (direction) => countShardMove(direction);
    work.attach(coordinator);
    this.coordinator = coordinator;
    if (this.stopping || this.controllersStopped) return;
    this.running = true;
    parts.start();
    coordinator.start();
  }

  private startControllers(): void {
    if (this.running || this.controllersStopped) return;
    this.running = true;
    // First: a sync's first reconcile waits for the key the holder's first check makes.
    this.clusterKey?.lead();
    this.parts?.start();
  }

  /** Stop starting work and wait for the work in flight. Once. */
  private stopControllers(): Promise<void> {
    this.controllersStopped ??= (async () => {
      this.running = false;
      await Promise.all([this.parts?.drain(), this.clusterKey?.unlead()]);
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
    if (!drained)
      log.warn(
        { ms: drainMs },
        'shutdown: work still in flight after the drain timeout is abandoned; the recorded revision and inventory stay those of the last complete apply',
      );
    // Only now may a follower take over: we no longer write.
    await this.elector?.stop({ release: true, timeoutMs: Math.min(1500, this.opts.leaderElection?.retryPeriodMs ?? 1500) });
    await this.coordinator?.stop({ release: true, timeoutMs: Math.min(1500, this.opts.sharding?.retryPeriodMs ?? 1500) });
    await this.server?.close();
    this.parts?.close();
    this.electionKube?.close();
    log.info({ ms: Date.now() - t0, drained }, 'shutdown complete');
  }
}
