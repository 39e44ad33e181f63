// The cluster-held age identities' Secret (`gitops-seal-cluster-key` in the daemon's namespace),
// read and written through a KubeClient with the apiserver as the only lock: create is a POST
// (of two replicas creating at once, one gets 409 AlreadyExists and adopts the other's key), and
// every change is a PUT carrying the resourceVersion that was read (a concurrent change gets 409
// and is re-read). So two replicas starting together end with ONE key, and two rotations at once
// add ONE key. The daemon (holder.ts, keyring.ts) and the CLI (backup, restore, rotate) both use
// this class, so both read and write exactly the same object.
//
// Never in a log line, an error or a status: the identities. Errors name the Secret
// (namespace/name) and the cause.
import {
  CLUSTER_KEY_LABEL,
  CLUSTER_KEY_SECRET,
  formatClusterIdentities,
  generateAgeIdentity,
  IDENTITIES_KEY,
  parseClusterIdentities,
  type ClusterIdentity,
} from '../../keys/index.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';

/** What went wrong with the Secret: names it (namespace/name), the operation and the cause; never a key. */
export class ClusterKeyError extends Error {
  override readonly name = 'ClusterKeyError';
  constructor(
    /** `Secret <namespace>/<name>` */
    readonly secret: string,
    cause: string,
    /** The HTTP status of the apiserver's answer, when there was one. */
    readonly status?: number,
  ) {
    super(`${secret}: ${cause}`);
  }
}

interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** The Secret as read: its identities (oldest first; the last is the current key) and version. */
export interface StoredClusterKey {
  readonly identities: readonly ClusterIdentity[];
  readonly resourceVersion: string;
}

/** The Secret after a write, and whether this call added to it. */
export interface ClusterKeyWrite {
  readonly key: StoredClusterKey;
  /** ensure: this call created the Secret; rotate: this call added the new identity; restore: identities added. */
  readonly changed: boolean;
}

export interface ClusterKeyStoreOptions {
  /** Secret name (default gitops-seal-cluster-key). */
  name?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** Conflicts a write retries before giving up (each retry re-reads first). */
const MAX_ATTEMPTS = 5;

/**
 * An apiserver message could in theory quote what was sent; a Secret's never reaches a log. Any
 * age identity or long base64 run is cut out before the message goes into an error.
 */
function scrub(text: string): string {
  return text.replace(/AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Za-z]{20,}/g, '[redacted]').replace(/[A-Za-z0-9+/=]{40,}/g, '[redacted]');
}

/** Sorted by creation time (stable: equal times keep their order), one entry per identity. */
export function mergeIdentities(...lists: readonly (readonly ClusterIdentity[])[]): ClusterIdentity[] {
  const seen = new Set<string>();
  const all: ClusterIdentity[] = [];
  for (const k of lists.flat()) {
    if (seen.has(k.identity)) continue;
    seen.add(k.identity);
    all.push(k);
  }
  return all
    .map((k, i) => ({ k, i }))
    .sort((a, b) => a.k.created.getTime() - b.k.created.getTime() || a.i - b.i)
    .map(({ k }) => k);
}

/** A new identity created at `now` (second precision: the Secret's `# created:` comments have no more). */
export async function newClusterIdentity(now: Date): Promise<ClusterIdentity> {
  const g = await generateAgeIdentity(now);
  return { identity: g.identity, recipient: g.recipient, created: new Date(Math.floor(now.getTime() / 1000) * 1000) };
}

export class ClusterKeyStore {
  readonly namespace: string;
  readonly name: string;
  /** `Secret <namespace>/<name>`: how every error and log line names it. */
  readonly id: string;
  private readonly collection: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly kube: KubeClient,
    namespace: string,
    opts: ClusterKeyStoreOptions = {},
  ) {
    this.namespace = namespace;
    this.name = opts.name ?? CLUSTER_KEY_SECRET;
    this.id = `Secret ${namespace}/${this.name}`;
    this.collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private get path(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  /**
   * The identities, or undefined when the Secret does not exist. `since`: a previous read,
   * returned as it is when the Secret's resourceVersion did not move (no parse, no X25519).
   */
  async read(since?: StoredClusterKey): Promise<StoredClusterKey | undefined> {
    return (await this.readObject(since))?.key;
  }

  /**
   * The Secret with at least one identity: read, else created with one new identity. Two callers
   * at once: one creates, the other's POST gets 409 AlreadyExists and it returns what was created.
   */
  async ensure(now: Date = new Date()): Promise<ClusterKeyWrite> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read();
      if (current) return { key: current, changed: false };
      try {
        return { key: await this.create([await newClusterIdentity(now)]), changed: true };
      } catch (err) {
        // AlreadyExists: another replica (or the CLI) created it between our read and our POST.
        if (!(err instanceof ClusterKeyError && err.status === 409) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Appends a new identity (it becomes the current key; the others stay and keep decrypting).
   * `onlyIfOlderThan`: do nothing while the newest key was created at or after it (the holder's
   * rotateEvery). On 409 the Secret is re-read; if its newest key is no longer the one this call
   * saw, someone else rotated and nothing is added — so concurrent rotations add one key.
   */
  async rotate(opts: { now?: Date; onlyIfOlderThan?: Date } = {}): Promise<ClusterKeyWrite> {
    const now = opts.now ?? new Date();
    let seen: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const read = await this.readObject();
      if (!read)
        throw new ClusterKeyError(
          this.id,
          'cannot rotate: the Secret does not exist (the daemon creates it when spec.clusterKey is enabled)',
          404,
        );
      const newest = read.key.identities[read.key.identities.length - 1];
      if (!newest) throw new ClusterKeyError(this.id, `cannot rotate: ${IDENTITIES_KEY} holds no identity`);
      seen ??= newest.recipient;
      if (newest.recipient !== seen) return { key: read.key, changed: false };
      if (opts.onlyIfOlderThan && newest.created.getTime() >= opts.onlyIfOlderThan.getTime()) return { key: read.key, changed: false };
      const next = [...read.key.identities, await newClusterIdentity(now)];
      try {
        return { key: await this.replace(read.object, next), changed: true };
      } catch (err) {
        if (!(err instanceof ClusterKeyError && err.status === 409) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Writes identities from a backup. No Secret: it is created with them. A Secret exists: with
   * `merge`, the backup's identities join it (sorted by creation time, each once — the newest of
   * all becomes current); without, it is an error (nothing is overwritten).
   */
  async restore(identities: readonly ClusterIdentity[], opts: { merge: boolean }): Promise<ClusterKeyWrite> {
    const wanted = mergeIdentities(identities);
    if (wanted.length === 0) throw new ClusterKeyError(this.id, 'cannot restore: the backup holds no identity');
    for (let attempt = 1; ; attempt++) {
      const read = await this.readObject();
      try {
        if (!read) return { key: await this.create(wanted), changed: true };
        if (!opts.merge)
          throw new ClusterKeyError(
            this.id,
            'cannot restore: the Secret already exists; merge the backup into it (--merge) or delete it first',
          );
        const merged = mergeIdentities(read.key.identities, wanted);
        if (merged.length === read.key.identities.length) return { key: read.key, changed: false };
        return { key: await this.replace(read.object, merged), changed: true };
      } catch (err) {
        if (!(err instanceof ClusterKeyError && err.status === 409) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  private async readObject(since?: StoredClusterKey): Promise<{ object: SecretObject; key: StoredClusterKey } | undefined> {
    let s: SecretObject | undefined;
    try {
      s = await this.kube.getOptional<SecretObject>(this.path, { timeoutMs: this.timeoutMs });
    } catch (err) {
      throw this.wrap('read', err);
    }
    if (!s) return undefined;
    const rv = s.metadata.resourceVersion;
    if (since && rv !== undefined && rv !== '' && rv === since.resourceVersion) return { object: s, key: since };
    return { object: s, key: await this.parse(s) };
  }

  private async parse(s: SecretObject): Promise<StoredClusterKey> {
    const b64 = s.data?.[IDENTITIES_KEY];
    if (b64 === undefined) throw new ClusterKeyError(this.id, `has no data key ${IDENTITIES_KEY}`);
    try {
      const identities = await parseClusterIdentities(Buffer.from(b64, 'base64').toString('utf8'), IDENTITIES_KEY);
      return { identities, resourceVersion: s.metadata.resourceVersion ?? '' };
    } catch (err) {
      // keys/ names the data key and a line number, never a line's content.
      throw new ClusterKeyError(this.id, scrub(err instanceof Error ? err.message : String(err)));
    }
  }

  private body(identities: readonly ClusterIdentity[], base?: SecretObject): SecretObject {
    const metadata = base?.metadata ?? { name: this.name, namespace: this.namespace };
    return {
      ...(base ?? {}),
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        ...metadata,
        labels: { ...(metadata.labels ?? {}), [CLUSTER_KEY_LABEL]: 'true', 'app.kubernetes.io/name': 'gitops-seal' },
      },
      type: base?.type ?? 'Opaque',
      data: { ...(base?.data ?? {}), [IDENTITIES_KEY]: Buffer.from(formatClusterIdentities(identities), 'utf8').toString('base64') },
    };
  }

  private async create(identities: readonly ClusterIdentity[]): Promise<StoredClusterKey> {
    try {
      const s = await this.kube.request<SecretObject>(this.collection, {
        method: 'POST',
        body: this.body(identities),
        timeoutMs: this.timeoutMs,
      });
      return await this.parse(s);
    } catch (err) {
      throw this.wrap('create', err);
    }
  }

  /** PUT with the resourceVersion read: 409 when anyone wrote the Secret since. */
  private async replace(base: SecretObject, identities: readonly ClusterIdentity[]): Promise<StoredClusterKey> {
    try {
      const s = await this.kube.request<SecretObject>(this.path, {
        method: 'PUT',
        body: this.body(identities, base),
        timeoutMs: this.timeoutMs,
      });
      return await this.parse(s);
    } catch (err) {
      throw this.wrap('update', err);
    }
  }

  private wrap(op: 'read' | 'create' | 'update', err: unknown): Error {
    if (err instanceof ClusterKeyError) return err;
    if (err instanceof KubeApiError) {
      const hint =
        err.status === 403
          ? ` (the ServiceAccount needs ${op === 'read' ? 'get' : op} on secrets named ${this.name} in ${this.namespace}; see deploy/rbac-self.yaml)`
          : err.status === 404 && op === 'create'
            ? ` (namespace ${this.namespace} must exist)`
            : '';
      return new ClusterKeyError(this.id, `cannot ${op}: ${err.status} ${err.reason}: ${scrub(err.detail)}${hint}`, err.status);
    }
    // Parse errors of keys/ name the Secret and a line number, never a line's content.
    return new ClusterKeyError(this.id, `cannot ${op}: ${scrub(err instanceof Error ? err.message : String(err))}`);
  }
}
