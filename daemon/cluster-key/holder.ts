// The leader's part (started and stopped with leadership by daemon.ts, like the controllers):
// make sure the Secret holds a key (ensure: created once, atomically), publish its public half
// in the ConfigMap, and every checkInterval rotate when the current key is older than
// rotateEvery and republish when the Secret changed — also when the CLI rotated or restored it
// directly, so the ConfigMap follows within one interval. A failed check is logged (naming the
// object and the cause) and tried again; it never stops the daemon.
import { clusterKeyFingerprint, publicClusterKey } from '../../keys/index.js';
import type { Logger } from '../log.js';
import type { ClusterKeySpec } from './types.js';
import type { ClusterKeyConfigMap } from './configmap.js';
import { currentIdentity, nextCheckDelay, rotationDue, rotationThreshold } from './decide.js';
import type { ClusterKeyring } from './keyring.js';
import type { StoredClusterKey } from './store.js';

export interface HolderCheck {
  key: StoredClusterKey | undefined;
  created: boolean;
  rotated: boolean;
  published: boolean;
  error?: string;
}

export class ClusterKeyHolder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly keyring: ClusterKeyring,
    private readonly configMap: ClusterKeyConfigMap,
    private readonly spec: ClusterKeySpec,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Check now (the check is under way when this returns), then on the schedule nextCheckDelay gives. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  /** The check under way, if any (a sync that finds no Secret yet waits for the first one). */
  get pending(): Promise<unknown> | undefined {
    return this.running;
  }

  /** No new check starts; resolves when the one under way (if any) ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private run(): void {
    const run = this.check();
    this.running = run;
    void run.then((r) => {
      if (this.running === run) this.running = undefined;
      const newest = r.key ? currentIdentity(r.key.identities) : undefined;
      this.schedule(
        nextCheckDelay({
          now: this.clock(),
          newest,
          rotateEveryMs: this.spec.rotateEveryMs,
          checkIntervalMs: this.spec.checkIntervalMs,
          failed: r.error !== undefined,
        }),
      );
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), ms);
    this.timer.unref();
  }

  /** One check: ensure, rotate when due, publish when the ConfigMap differs. Never rejects. */
  async check(): Promise<HolderCheck> {
    const store = this.keyring.store;
    const out: HolderCheck = { key: undefined, created: false, rotated: false, published: false };
    try {
      const now = this.clock();
      const ensured = await store.ensure(now);
      let key = ensured.key;
      out.created = ensured.changed;
      const newest = currentIdentity(key.identities);
      if (ensured.changed && newest)
        this.log.info(
          { object: store.id, recipient: newest.recipient, fingerprint: clusterKeyFingerprint(newest.recipient) },
          'cluster key created',
        );
      if (newest && rotationDue(newest, now, this.spec.rotateEveryMs)) {
        const threshold = rotationThreshold(now, this.spec.rotateEveryMs);
        const r = await store.rotate({ now, ...(threshold ? { onlyIfOlderThan: threshold } : {}) });
        key = r.key;
        out.rotated = r.changed;
        const cur = currentIdentity(key.identities);
        if (r.changed && cur)
          this.log.info(
            {
              object: store.id,
              recipient: cur.recipient,
              fingerprint: clusterKeyFingerprint(cur.recipient),
              retired: key.identities.length - 1,
            },
            'cluster key rotated; retired keys keep decrypting',
          );
      }
      out.key = key;
      this.keyring.note(key);
      const pub = publicClusterKey(key.identities);
      out.published = await this.configMap.publish(pub);
      if (out.published)
        this.log.info(
          { configMap: this.configMap.id, recipient: pub.recipient, fingerprint: pub.fingerprint, retired: pub.retired.length },
          'cluster key published',
        );
    } catch (err) {
      // ClusterKeyError names the Secret or ConfigMap and the cause; never a key.
      out.error = err instanceof Error ? err.message : String(err);
      this.keyring.lastError = out.error;
      this.log.warn({ err: out.error }, 'cluster key check failed; trying again');
    }
    return out;
  }
}
