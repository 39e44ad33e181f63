// The cluster identities as syncs decrypt with them: read from the Secret when used (each
// reconcile of a sync with decryption.clusterKey, each GET /keys), so a rotation, a CLI rotate or
// a restore needs no restart. One GET per use; the identities are parsed again only when the
// Secret's resourceVersion moved, and concurrent uses share one GET.
import { type ClusterIdentity } from '../../keys/index.js';
import { ClusterKeyError, type ClusterKeyStore, type StoredClusterKey } from './store.js';

export class ClusterKeyring {
  private last: StoredClusterKey | undefined;
  private inflight: Promise<StoredClusterKey | undefined> | undefined;
  /** Why the last read failed (names the Secret and the cause), cleared by the next good read. */
  lastError: string | undefined;

  /**
   * On the leader: the holder's check under way. A sync reconciling right at start-up, before the
   * first ensure() created the Secret, waits for it instead of failing until its next poll.
   */
  whenMissing: (() => Promise<unknown> | undefined) | undefined;

  constructor(readonly store: ClusterKeyStore) {}

  /** The last identities read (none yet: undefined). For /status and metrics, which must not wait on I/O. */
  get current(): StoredClusterKey | undefined {
    return this.last;
  }

  /** Read the Secret now (a read already under way is shared); undefined when it does not exist. */
  refresh(): Promise<StoredClusterKey | undefined> {
    this.inflight ??= this.store
      .read(this.last)
      .then(
        (k) => {
          this.last = k;
          this.lastError = undefined;
          return k;
        },
        (err: unknown) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          throw err;
        },
      )
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** What a write (the holder's ensure/rotate) left in the Secret: /status sees it before the next read. */
  note(key: StoredClusterKey): void {
    this.last = key;
    this.lastError = undefined;
  }

  /** Current and retired identities, oldest first; an error naming the Secret when there is none yet. */
  async identities(): Promise<readonly ClusterIdentity[]> {
    let k = await this.refresh();
    const pending = k ? undefined : this.whenMissing?.();
    if (pending) {
      await pending.catch(() => undefined);
      k = await this.refresh();
    }
    if (!k)
      throw new ClusterKeyError(
        this.store.id,
        'does not exist yet: the daemon that leads creates it when spec.clusterKey.enabled is true',
        404,
      );
    return k.identities;
  }

  /** Every recipient the cluster holds (current and retired): files sealed to any of them are the cluster's. */
  async clusterRecipients(): Promise<ReadonlySet<string>> {
    return new Set((await this.identities()).map((k) => k.recipient));
  }
}
