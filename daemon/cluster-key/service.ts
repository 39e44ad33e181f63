// The daemon's cluster key, assembled: the Secret's store and keyring (every replica: /keys,
// /status, and the identities of syncs with decryption.clusterKey), the ConfigMap, and the holder
// that runs only while this replica leads. daemon.ts creates one when spec.clusterKey.enabled and
// wires it; runtime/assembly.ts hands `identities` to the syncs that ask for the cluster key and
// `track`s their use of it for /status and the metrics.
import { clusterKeyFingerprint, type ClusterIdentity } from '../../keys/index.js';
import type { ClusterKeyUsage } from '../decrypt/index.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import type { ClusterKeyStatus } from '../status/index.js';
import { ClusterKeyConfigMap } from './configmap.js';
import { currentIdentity, retiredOnlyFiles } from './decide.js';
import { ClusterKeyHolder, type HolderCheck } from './holder.js';
import { ClusterKeyring } from './keyring.js';
import { ClusterKeyError, ClusterKeyStore } from './store.js';
import type { ClusterKeySpec } from './types.js';

export class ClusterKeyService {
  readonly store: ClusterKeyStore;
  readonly keyring: ClusterKeyring;
  readonly configMap: ClusterKeyConfigMap;
  private readonly holder: ClusterKeyHolder;
  private readonly usage = new Map<string, () => ClusterKeyUsage | undefined>();

  constructor(kube: KubeClient, namespace: string, spec: ClusterKeySpec, log: Logger) {
    this.store = new ClusterKeyStore(kube, namespace);
    this.keyring = new ClusterKeyring(this.store);
    this.configMap = new ClusterKeyConfigMap(kube, namespace);
    this.holder = new ClusterKeyHolder(this.keyring, this.configMap, spec, log);
  }

  /** Current and retired identities, read when used (a sync's KeyContext at each reconcile). */
  readonly identities = (): Promise<readonly ClusterIdentity[]> => this.keyring.identities();

  /**
   * For the scope-binding stage: every recipient the cluster holds, current and retired (files
   * sealed to any are the cluster's); empty while no key exists yet (no file can be
   * sealed to a key this cluster never had). Any other failure stays an error: unknown is not none.
   */
  readonly bindingRecipients = async (): Promise<ReadonlySet<string>> => {
    try {
      return await this.keyring.clusterRecipients();
    } catch (err) {
      if (err instanceof ClusterKeyError && err.status === 404) return new Set<string>();
      throw err;
    }
  };

  /** Count `sync`'s files that only a retired key opens, from what `usage` says at status time. */
  track(sync: string, usage: () => ClusterKeyUsage | undefined): void {
    this.usage.set(sync, usage);
  }

  /** This replica leads: ensure, publish and rotate from now on. */
  lead(): void {
    this.holder.start();
    this.keyring.whenMissing = () => this.holder.pending;
  }

  /** This replica stopped leading (or shuts down): no new check starts. */
  unlead(): Promise<void> {
    this.keyring.whenMissing = undefined;
    return this.holder.stop();
  }

  /** One check, for --once (the process is the only one and acts as the leader). */
  checkOnce(): Promise<HolderCheck> {
    return this.holder.check();
  }

  /** Followers: read the Secret once so /status shows the key before anyone asks /keys. */
  prime(): void {
    void this.keyring.refresh().catch(() => undefined);
  }

  /** /status's clusterKey: computed from what was last read, never waiting on I/O. */
  status(): ClusterKeyStatus {
    const key = this.keyring.current;
    const list = key?.identities ?? [];
    const cur = currentIdentity(list);
    const retiredOnly: Record<string, number> = {};
    for (const [sync, usage] of this.usage) {
      const u = usage();
      if (u) retiredOnly[sync] = retiredOnlyFiles(u, list);
    }
    return {
      secretName: `${this.store.namespace}/${this.store.name}`,
      ...(cur
        ? {
            recipient: cur.recipient,
            fingerprint: clusterKeyFingerprint(cur.recipient),
            created: cur.created.toISOString(),
            retired: list.length - 1,
          }
        : {}),
      retiredOnly,
      ...(this.keyring.lastError ? { lastError: this.keyring.lastError } : {}),
    };
  }
}
