// The SSH transport: the same GitTransport as smart HTTP, over one SSH connection per operation
// (ssh2, pure JS). Listing refs and fetching run our pkt-line code (upload-pack.ts) and pushing
// runs isomorphic-git's push, both through SshSession, which speaks the smart-HTTP request
// shapes they use onto an exec channel. The key and known_hosts are read before every
// operation (rotation needs no restart); the host key is always checked unless the config
// says, loudly, not to.
import git from 'isomorphic-git';
import { createHash } from 'node:crypto';
import type { Client, ParsedKey } from 'ssh2';
import { redact } from '../credentials.js';
import { classifyGitError, GitError, pushConflict, type GitOperation } from '../errors.js';
import type {
  AdvertisedRef,
  FetchRequest,
  FetchResult,
  GitTransport,
  ListRefsRequest,
  PushRequest,
  PushResult,
  TrafficStats,
} from '../transport.js';
import { fetchPack } from '../upload-pack.js';
import { parsePrivateKey } from './private-key.js';
import { SshError, SshSession } from './session.js';
import { parseSshUrl, sshDisplay, type SshUrl } from './url.js';

/** A private key as read from its reference (OpenSSH or PEM text), with its passphrase. */
export interface SshKey {
  privateKey: string;
  passphrase?: string;
}

export interface SshAuth {
  /** Reads the private key before every operation. */
  key: () => Promise<SshKey>;
  /** Reads known_hosts before every operation; `insecure-ignore-host-key` is the explicit opt-out. */
  knownHosts: (() => Promise<string>) | 'insecure-ignore-host-key';
}

/**
 * How long a connection is kept after an operation: a poll that finds a new commit lists refs
 * and then fetches, and the fetch reuses the listing's connection instead of a second
 * handshake. Short, so that a daemon polling every minute holds no idle connection.
 */
const KEEP_MS = 5_000;

/** isomorphic-git insists on an http(s) URL; the session ignores it and speaks SSH. */
const ISO_URL = 'https://ssh-transport.invalid/repo';

export class SshTransport implements GitTransport {
  readonly url: string;
  private readonly parsed: SshUrl;
  private readonly traffic: TrafficStats = { requests: 0, bytesReceived: 0, thinPackFallbacks: 0 };
  private readonly idleTimeoutMs: number;
  private secrets: string[] = [];
  private keyCache: { text: string; passphrase: string | undefined; key: ParsedKey } | undefined;
  /** The kept connection, for the key and known_hosts (by digest) it was opened with. */
  private kept: { client: Client; digest: string; timer: NodeJS.Timeout } | undefined;
  private readonly watched = new WeakSet<Client>();

  constructor(
    rawUrl: string,
    private readonly auth: SshAuth | undefined,
    idleTimeoutMs = 60_000,
  ) {
    const parsed = parseSshUrl(rawUrl);
    if (typeof parsed === 'string') throw new Error(parsed);
    this.parsed = parsed;
    this.url = sshDisplay(parsed);
    this.idleTimeoutMs = idleTimeoutMs;
  }

  get stats(): Readonly<TrafficStats> {
    return this.traffic;
  }

  redact(text: string): string {
    return redact(text.split(ISO_URL).join(this.url), this.secrets);
  }

  /** SSH is stateful: every request needs its advertisement on the same channel. */
  readonly wantsWithoutAdvertisement = false;

  async listRefs(req: ListRefsRequest = {}): Promise<AdvertisedRef[]> {
    return this.withSession('list-refs', (http) =>
      git.listServerRefs({
        http,
        url: ISO_URL,
        protocolVersion: 1,
        ...(req.prefix !== undefined ? { prefix: req.prefix } : {}),
        ...(req.peelTags === true ? { peelTags: true } : {}),
      }),
    );
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    const res = await this.withSession('fetch', (http) =>
      fetchPack({
        http,
        url: ISO_URL,
        headers: {},
        store: req.store,
        remoteRef: req.remoteRef,
        haveRef: req.haveRef,
        ...(req.depth !== undefined ? { depth: req.depth } : {}),
      }),
    );
    if (res.pack === 'fallback') this.traffic.thinPackFallbacks++;
    return { fetchHead: res.fetchHead };
  }

  async push(req: PushRequest): Promise<PushResult> {
    const { store } = req;
    let conflict: string | undefined;
    await this.withSession('push', async (http) => {
      try {
        await git.push({
          fs: store.fs,
          http,
          gitdir: store.gitdir,
          cache: store.cache,
          url: ISO_URL,
          remote: 'origin',
          ref: req.localRef,
          remoteRef: req.remoteRef,
          force: false,
        });
      } catch (err) {
        conflict = pushConflict(err);
        if (conflict === undefined) throw err;
      }
    });
    return conflict === undefined ? { ok: true } : { ok: false, conflict: this.redact(conflict) };
  }

  /** Reads the key and known_hosts, opens a session, runs `op`, always closes. */
  private async withSession<T>(operation: GitOperation, op: (http: SshSession) => Promise<T>): Promise<T> {
    let session: SshSession | undefined;
    try {
      const { key, knownHosts, digest } = await this.credentials();
      const reuse = this.take(digest);
      session = new SshSession({
        url: this.parsed,
        display: this.url,
        key,
        knownHosts,
        idleTimeoutMs: this.idleTimeoutMs,
        traffic: this.traffic,
        ...(reuse !== undefined ? { reuse } : {}),
        release: (client, healthy) => this.keep(client, digest, healthy),
      });
      return await op(session);
    } catch (err) {
      throw this.classify(err, operation);
    } finally {
      session?.close();
    }
  }

  /** The kept connection if it was opened with the same key and known_hosts (a rotation drops it). */
  private take(digest: string): Client | undefined {
    const k = this.kept;
    if (k === undefined) return undefined;
    this.kept = undefined;
    clearTimeout(k.timer);
    if (k.digest === digest) return k.client;
    k.client.end();
    return undefined;
  }

  private keep(client: Client, digest: string, healthy: boolean): void {
    if (!healthy || this.kept !== undefined) {
      client.end();
      return;
    }
    const timer = setTimeout(() => {
      if (this.kept?.client === client) this.kept = undefined;
      client.end();
    }, KEEP_MS);
    timer.unref();
    // A connection the server closes meanwhile is not handed out again (one listener per connection).
    if (!this.watched.has(client)) {
      this.watched.add(client);
      client.once('close', () => {
        if (this.kept?.client === client) {
          clearTimeout(this.kept.timer);
          this.kept = undefined;
        }
      });
    }
    this.kept = { client, digest, timer };
  }

  private async credentials(): Promise<{ key: ParsedKey; knownHosts: string | undefined; digest: string }> {
    if (this.auth === undefined) {
      throw new SshError('auth', `${this.url}: no SSH private key is configured (ssh.privateKeyFrom)`);
    }
    let k: SshKey;
    let knownHosts: string | undefined;
    try {
      k = await this.auth.key();
      knownHosts = this.auth.knownHosts === 'insecure-ignore-host-key' ? undefined : await this.auth.knownHosts();
    } catch (err) {
      // The reference's own message names it (never its value); keep only its first line.
      const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      throw new SshError('auth', `${this.url}: cannot read the SSH key or known_hosts: ${msg}`);
    }
    this.secrets = secretsOf(k);
    const digest = createHash('sha256')
      .update(`${k.privateKey}\0${k.passphrase ?? ''}\0${knownHosts ?? '(host key not checked)'}`)
      .digest('hex');
    const c = this.keyCache;
    if (c !== undefined && c.text === k.privateKey && c.passphrase === k.passphrase) return { key: c.key, knownHosts, digest };
    const parsed = parsePrivateKey(k.privateKey, k.passphrase);
    if (parsed instanceof Error || Array.isArray(parsed)) {
      const why = parsed instanceof Error ? parsed.message : 'more than one key in the text';
      const hint = /passphrase|decrypt|encrypted/i.test(why) ? ' (wrong or missing passphrase?)' : '';
      throw new SshError('auth', `${this.url}: the SSH private key cannot be used: ${why}${hint}`);
    }
    if (!parsed.isPrivateKey()) {
      throw new SshError('auth', `${this.url}: the SSH key given is not a private key`);
    }
    this.keyCache = { text: k.privateKey, passphrase: k.passphrase, key: parsed };
    return { key: parsed, knownHosts, digest };
  }

  private classify(err: unknown, operation: GitOperation): GitError {
    if (err instanceof SshError) {
      const reason =
        err.failure === 'host-key' || err.failure === 'auth'
          ? 'auth'
          : err.failure === 'denied'
            ? operation === 'push'
              ? 'push-rejected'
              : 'auth'
            : err.failure === 'not-found'
              ? 'not-found'
              : err.failure === 'network'
                ? 'network'
                : 'protocol';
      return new GitError(reason, operation, this.redact(err.message), err);
    }
    return classifyGitError(err, { operation, idleTimeoutMs: this.idleTimeoutMs, redact: (t) => this.redact(t) });
  }
}

/** What must never appear in a message: the key text, each of its lines, the passphrase. */
function secretsOf(k: SshKey): string[] {
  const lines = k.privateKey
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [k.privateKey, ...lines, ...(k.passphrase !== undefined ? [k.passphrase] : [])];
}
