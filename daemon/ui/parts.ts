// What the web page reads of the running daemon, declared as the narrow shapes it needs (the
// daemon's own classes have them): the StatusStore /status serves, the event bus, the sync
// controllers' applied objects, the drift detectors' corrections and the sources' object
// stores. Declared here so ui/ depends on no runtime folder (daemon.ts hands the real parts in).
import type { DaemonStatus } from '../status/index.js';
import type { EventBus } from '../events/index.js';
import type { KubeObject } from '../kube/types.js';
import type { ResourceManager } from '../apply/index.js';
import type { Logger } from '../log.js';
import type { SecretGetter } from '../secret-ref.js';
import type { UiSpec } from './types.js';

/** Where a sync's object lives, and one LIST per collection of the live objects. */
export type Locator = Pick<ResourceManager, 'locate' | 'listLive'>;

/** One sync's runtime: its last applied state (memory only; values never leave ui/objects.ts). */
export interface SyncRuntime {
  readonly lastGood: { objects: readonly KubeObject[] } | undefined;
  readonly manager: Locator;
}

export interface DriftRuntime {
  readonly lastCorrected: ReadonlyMap<string, string>;
}

export interface SourceRuntime {
  readonly source: { readonly gitdir: string };
}

/** The DaemonConfig, as far as the page shows it (declared here: config/ imports ui/types.ts). */
export interface UiConfig {
  metadata: { name?: string };
  spec: {
    sources: readonly { name: string; url: string; ref: Readonly<Record<string, string>> }[];
    syncs: readonly {
      name: string;
      source: string;
      path: string;
      decryption?: { age?: unknown; vault?: unknown; sealedSecrets?: unknown; clusterKey?: true };
      helm?: unknown;
    }[];
  };
}

export interface UiParts {
  config: UiConfig & { spec: { ui?: UiSpec } };
  /** host:port the status listener binds (the loopback rule reads it). */
  listen: string;
  /** The /status document: with --shards the fleet's (daemon/fleet/), so a promise. */
  status: { snapshot(): DaemonStatus | Promise<DaemonStatus> };
  /**
   * Set with --shards (the status is the fleet's): refresh open pages from it this often, since
   * a change on another replica reaches no event here (FLEET_REFRESH_MS).
   */
  fleetRefreshMs?: number;
  bus: EventBus;
  log: Logger;
  syncs: () => ReadonlyMap<string, SyncRuntime>;
  drift: () => ReadonlyMap<string, DriftRuntime>;
  sources: () => ReadonlyMap<string, SourceRuntime>;
  /** The home cluster (tokenFrom's Secret, TokenReview), loaded when first needed. */
  homeKube: () => Promise<SecretGetter & { request<T>(path: string, opts: { method: 'POST'; body: unknown }): Promise<T> }>;
}
