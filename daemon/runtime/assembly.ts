// Sync assembly: from a DaemonConfig, build each source's poller, each sync's controller (its
// cluster client, keys, inventory) and drift detector, the image automation, and connect them:
// a new revision goes to the syncs of its source, an applied revision becomes the drift
// baseline, a pushed image update triggers its source, and each sync's outcomes become
// Kubernetes Events on its cluster. Building touches no network; start() runs the pollers,
// scanners and periodic drift checks (on the leader only, daemon.ts decides), drain() stops
// them and waits for the work in flight.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonConfig, SyncSpec } from '../config/index.js';
import { DriftDetector } from '../drift/detector.js';
import { findRenderers, kubeClientKey, kubeLoadOptions, type HomeSecrets } from '../engine/index.js';
import { EventRecorder, recordSyncEvents, type EventBus } from '../events/index.js';
import { DEFAULT_INVENTORY_NAMESPACE } from '../inventory/inventory.js';
import { KubeClient } from '../kube/client.js';
import { replicaUserAgent } from '../kube/user-agent.js';
import { defaultIdentity } from '../leader/index.js';
import { initNotifyMetrics, notifyMetrics } from '../metrics/index.js';
import { Notifier } from '../notify/index.js';
import { KubeconfigError } from '../kube/locate.js';
import type { Logger } from '../log.js';
import { sweepScratch } from '../render/index.js';
import type { ClusterKeyService } from '../cluster-key/index.js';
import { ImageAutomationRunner } from './image-automation.js';
import { SourcePoller } from './source-poller.js';
import { SyncController, type SyncOwnership } from './sync-controller.js';

export interface AssemblyOptions {
  /** Where Git object stores live. */
  dataDir: string;
  log: Logger;
  /** Namespace for inventories and their Events (default gitops-seal-system). */
  inventoryNamespace?: string;
  /** Where the renderers are looked up (default process.env). */
  rendererEnv?: NodeJS.ProcessEnv;
  /** spec.clusterKey enabled: syncs with decryption.clusterKey decrypt with its identities. */
  clusterKey?: ClusterKeyService;
  /** The home cluster, for sources' SSH keys and known_hosts in Kubernetes Secrets (loaded when first read). */
  homeSecrets?: HomeSecrets;
  /**
   * Sharding (daemon/shard/): which syncs and whether the image automation this replica owns
   * now. Absent: all of them, always (one replica, or the leader).
   */
  ownership?: AssemblyOwnership;
}

export interface AssemblyOwnership {
  sync(name: string): SyncOwnership;
  images: SyncOwnership;
}

/** The built parts of a daemon, by name. */
export interface Assembly {
  readonly sources: ReadonlyMap<string, SourcePoller>;
  readonly syncs: ReadonlyMap<string, SyncController>;
  readonly drift: ReadonlyMap<string, DriftDetector>;
  /** Present when spec.images or spec.imageUpdates is configured. */
  readonly images: ImageAutomationRunner | undefined;
  /** Commit statuses and notifications (spec.commitStatus, spec.notifications); idle when neither is configured. */
  readonly notifier: Notifier;
  /** Start polling, scanning and the periodic full drift checks. */
  start(): void;
  /** Stop starting work and wait for the work in flight (an apply, a drift correction, a push). */
  drain(): Promise<void>;
  /** Close the syncs' cluster clients. */
  close(): void;
  /** Sharding: the sync's shard came to this replica: apply its source's head from scratch. */
  resumeSync(name: string): void;
  /** Sharding: the sync's shard goes elsewhere: stop watching for drift, wait for its work in flight. */
  pauseSync(name: string): Promise<void>;
  /** Sharding: the image automation came to / leaves this replica. */
  resumeImages(): void;
  pauseImages(): Promise<void>;
}

/** How long a drain lets the notification queues empty. */
const NOTIFY_GRACE_MS = 2000;

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One client per distinct cluster (syncs on the same kubeconfig and context share it). */
class KubeClients {
  private readonly clients = new Map<string, KubeClient>();

  async for(spec: SyncSpec): Promise<KubeClient> {
    const key = kubeClientKey(spec);
    let c = this.clients.get(key);
    if (!c) {
      // The replica's identity in the User-Agent: the audit log tells which replica wrote what.
      const userAgent = replicaUserAgent(defaultIdentity());
      c = await KubeClient.load(kubeLoadOptions(spec), { kubeconfigWorker: true, userAgent }).catch((err: unknown) => {
        throw err instanceof KubeconfigError ? new KubeconfigError(`sync "${spec.name}": ${err.message}`) : err;
      });
      this.clients.set(key, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

export async function assemble(config: DaemonConfig, bus: EventBus, opts: AssemblyOptions): Promise<Assembly> {
  const { log } = opts;
  const gitDir = join(opts.dataDir, 'git');
  mkdirSync(gitDir, { recursive: true });
  const sources = new Map<string, SourcePoller>();
  for (const s of config.spec.sources) sources.set(s.name, new SourcePoller(s, gitDir, bus, log, opts.homeSecrets));

  // Render scratch dirs of a daemon killed mid-render (plaintext-free, but not ours to keep).
  const swept = sweepScratch();
  if (swept.length > 0) log.info({ removed: swept.length }, 'removed render scratch dirs of dead processes');
  // Resolved once: a missing renderer fails only the syncs that need it, naming the binary.
  const renderers = findRenderers(opts.rendererEnv);
  for (const [r, found] of Object.entries(renderers))
    if (typeof found !== 'string') log.info({ renderer: r, why: found.message }, 'renderer not found; syncs that need it will be refused');
  const kube = new KubeClients();
  const syncs = new Map<string, SyncController>();
  const drift = new Map<string, DriftDetector>();
  const recorders = new Map<string, EventRecorder>();
  try {
    for (const spec of config.spec.syncs) {
      const client = await kube.for(spec);
      recorders.set(spec.name, new EventRecorder(client, opts.inventoryNamespace ?? DEFAULT_INVENTORY_NAMESPACE));
      const ctl = new SyncController(
        spec,
        client,
        bus,
        log,
        {
          // Every applied revision becomes the new drift baseline.
          onApplied: (_sync, outcome) => {
            void drift
              .get(spec.name)
              ?.track(outcome)
              .catch((err: unknown) => log.warn({ sync: spec.name, err: errText(err) }, 'drift tracking failed'));
          },
        },
        {
          ...(opts.inventoryNamespace ? { inventoryNamespace: opts.inventoryNamespace } : {}),
          renderers,
          ...(opts.clusterKey && spec.decryption?.clusterKey
            ? { clusterIdentities: opts.clusterKey.identities, clusterRecipients: opts.clusterKey.bindingRecipients }
            : {}),
          ...(opts.ownership ? { ownership: opts.ownership.sync(spec.name) } : {}),
        },
      );
      if (spec.decryption?.clusterKey) opts.clusterKey?.track(spec.name, () => ctl.clusterKeyUsage());
      syncs.set(spec.name, ctl);
      drift.set(spec.name, new DriftDetector(spec.name, ctl.manager, ctl, log));
      const own = opts.ownership?.sync(spec.name);
      sources.get(spec.source)?.onRevision((rev, fetched) => (own && !own.accepts() ? Promise.resolve() : ctl.onRevision(rev, fetched)));
    }
  } catch (err) {
    kube.close();
    throw err;
  }
  recordSyncEvents(bus, (sync) => recorders.get(sync));
  // Another subscriber of the same outcomes: it only queues (a dead endpoint never slows a reconcile).
  const notifier = new Notifier(config.spec.notifications, config.spec.commitStatus ?? [], {
    log,
    syncSources: new Map(config.spec.syncs.map((s) => [s.name, s.source])),
    metrics: notifyMetrics,
  });
  if (notifier.enabled) {
    notifier.follow(bus);
    for (const c of notifier.channels()) initNotifyMetrics(c.name, c.kind, c.type);
  }

  let images: ImageAutomationRunner | undefined;
  if (config.spec.images.length > 0 || config.spec.imageUpdates.length > 0) {
    const dir = join(opts.dataDir, 'writeback');
    mkdirSync(dir, { recursive: true });
    images = new ImageAutomationRunner(config, dir, log, bus, opts.homeSecrets, opts.ownership?.images);
    bus.on({
      'image.pushed': (e) =>
        void sources
          .get(e.source)
          ?.trigger()
          .catch(() => undefined),
    });
  }
  const own = opts.ownership;
  if (own) {
    // A source is fetched only while this replica owns one of its syncs or automations.
    for (const [name, poller] of sources) {
      const users = config.spec.syncs.filter((s) => s.source === name).map((s) => own.sync(s.name));
      const automations = config.spec.imageUpdates.some((u) => u.source === name);
      poller.wanted = () => users.some((u) => u.accepts()) || (automations && own.images.accepts());
    }
  }
  const timers: NodeJS.Timeout[] = [];
  return {
    sources,
    syncs,
    drift,
    images,
    notifier,
    start: () => {
      notifier.start();
      for (const p of sources.values()) p.start();
      // Sharded: the image automation starts when its shard comes here (resumeImages).
      if (!own) images?.start();
      // Periodic full drift check per sync (covers watch events that were missed).
      for (const [name, ctl] of syncs) {
        const t = setInterval(() => {
          if (own && !own.sync(name).accepts()) return;
          void drift
            .get(name)
            ?.fullCheck()
            .catch((err: unknown) => log.warn({ sync: name, err: errText(err) }, 'full drift check failed'));
        }, ctl.spec.intervalMs);
        t.unref();
        timers.push(t);
      }
    },
    drain: async () => {
      for (const t of timers) clearInterval(t);
      for (const d of drift.values()) d.stop();
      // Pollers wait for the reconcile they triggered; the image runner for its push.
      await Promise.all([images?.stop(), ...[...sources.values()].map((p) => p.stop())]);
      // A drift correction or reconcile queued on a sync outside a poller: wait for the queue.
      await Promise.all([...syncs.values()].map((c) => c.reapply(() => Promise.resolve(0)).catch(() => 0)));
      // The last outcomes' messages get a short grace; an endpoint that is down is not waited for.
      await notifier.stop(NOTIFY_GRACE_MS);
    },
    close: () => kube.close(),
    resumeSync: (name) => {
      const ctl = syncs.get(name);
      if (!ctl) return;
      ctl.forget();
      void sources
        .get(ctl.spec.source)
        ?.trigger()
        .catch(() => undefined);
    },
    pauseSync: async (name) => {
      const ctl = syncs.get(name);
      if (!ctl) return;
      // A stopped detector does not start again: the next owner period gets a fresh one.
      drift.get(name)?.stop();
      drift.set(name, new DriftDetector(name, ctl.manager, ctl, log));
      await ctl.idle();
    },
    resumeImages: () => images?.start(),
    pauseImages: async () => {
      await images?.stop();
    },
  };
}
