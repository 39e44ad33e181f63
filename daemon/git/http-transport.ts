// The smart-HTTP transport: isomorphic-git's Node client, with credentials sent pre-emptively as
// a Basic header, an idle timeout on every socket, and traffic counted. All failures leave here
// as GitErrors from the one classification (errors.ts).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, globalAgent as httpsGlobalAgent } from 'node:https';
import git, { type HttpClient } from 'isomorphic-git';
import { basicAuthorization, RemoteCredentials, stripUserinfo, type CredentialProvider } from './credentials.js';
import { classifyGitError, pushConflict, type GitError, type GitOperation } from './errors.js';
import { countingHttp } from './http-client.js';
import type { FixThinOptions } from './fix-thin.js';
import { advertisement, fetchPack } from './upload-pack.js';
import type {
  AdvertisedRef,
  FetchRequest,
  FetchResult,
  GitTransport,
  ListRefsRequest,
  PushRequest,
  PushResult,
  TrafficStats,
} from './transport.js';

export interface HttpTransportOptions {
  /** Called before every operation; URL userinfo is the fallback. */
  auth?: CredentialProvider;
  /** A socket silent for this long fails the operation with reason `network` (default 60 s). */
  idleTimeoutMs?: number;
  /** Bounds of the thin-pack completion (defaults: fix-thin.ts). */
  fixThin?: FixThinOptions;
}

/** How long an idle connection to the git server is kept for the next request (the server may close it sooner). */
const KEEP_ALIVE_MS = 30_000;

export class HttpTransport implements GitTransport {
  readonly url: string;
  /** Stateless smart HTTP: a POST of wants stands alone once the server's capabilities are known. */
  readonly wantsWithoutAdvertisement = true;
  private readonly traffic: TrafficStats = { requests: 0, bytesReceived: 0, thinPackFallbacks: 0 };
  private readonly credentials: RemoteCredentials;
  private readonly http: HttpClient;
  private readonly idleTimeoutMs: number;
  private readonly fixThin: FixThinOptions | undefined;
  /** The server's upload-pack capabilities from its last advertisement: a want of a known oid needs no new one. */
  private capabilities: ReadonlySet<string> | undefined;

  /** `rawUrl` may carry userinfo; it is moved to the credentials and never sent in the URL. */
  constructor(rawUrl: string, options: HttpTransportOptions = {}) {
    this.url = stripUserinfo(rawUrl);
    this.credentials = new RemoteCredentials(rawUrl, options.auth);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.fixThin = options.fixThin;
    // One agent per remote, kept alive: the advertisement and the POST of one fetch (and the
    // next poll, within the keep-alive) share a connection — over TLS, one handshake.
    const agent = this.url.startsWith('https:')
      ? // The global agent's TLS options (a CA set there) carry over, as when requests used it.
        new HttpsAgent({ ...httpsGlobalAgent.options, keepAlive: true, timeout: KEEP_ALIVE_MS })
      : new HttpAgent({ keepAlive: true, timeout: KEEP_ALIVE_MS });
    this.http = countingHttp(this.traffic, undefined, this.idleTimeoutMs, agent);
  }

  get stats(): Readonly<TrafficStats> {
    return this.traffic;
  }

  redact(text: string): string {
    return this.credentials.redact(text);
  }

  async listRefs(req: ListRefsRequest = {}): Promise<AdvertisedRef[]> {
    return this.guard('list-refs', async () => {
      // Protocol v1: the advertisement is one GET (v2 would need a second, ls-refs, round trip),
      // and it carries the capabilities a later want-only POST needs.
      const adv = await advertisement(this.http, this.url, await this.headers());
      this.capabilities = adv.capabilities;
      const out: AdvertisedRef[] = [];
      for (const [ref, oid] of adv.refs) {
        if (ref.endsWith('^{}') || (req.prefix !== undefined && !ref.startsWith(req.prefix))) continue;
        const peeled = req.peelTags === true ? adv.refs.get(`${ref}^{}`) : undefined;
        out.push(peeled !== undefined ? { ref, oid, peeled } : { ref, oid });
      }
      return out;
    });
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    return this.guard('fetch', async () => {
      const headers = await this.headers();
      const pack = (capabilities?: ReadonlySet<string>) =>
        fetchPack({
          http: this.http,
          url: this.url,
          headers,
          store: req.store,
          remoteRef: capabilities !== undefined ? (req.knownOid as string) : req.remoteRef,
          haveRef: req.haveRef,
          ...(capabilities !== undefined ? { capabilities } : {}),
          ...(req.depth !== undefined ? { depth: req.depth } : {}),
          ...(this.fixThin !== undefined ? { fixThin: this.fixThin } : {}),
        });
      const known = req.knownOid !== undefined ? this.capabilities : undefined;
      let res;
      try {
        res = await pack(known);
      } catch (err) {
        // The server refused the want on its own (an oid it no longer has, capabilities that
        // changed): ask again the usual way. Credentials and network failures stay failures.
        const reason = this.classify(err, 'fetch').reason;
        if (known === undefined || (reason !== 'protocol' && reason !== 'ref-not-found')) throw err;
        res = await pack(undefined);
      }
      this.capabilities = res.capabilities;
      if (res.pack === 'fallback') this.traffic.thinPackFallbacks++;
      return { fetchHead: res.fetchHead };
    });
  }

  async push(req: PushRequest): Promise<PushResult> {
    const { store } = req;
    // Resolved outside the try: a failing provider is an auth error, not a push refusal.
    const headers = await this.guard('push', () => this.headers());
    try {
      await git.push({
        fs: store.fs,
        http: this.http,
        gitdir: store.gitdir,
        cache: store.cache,
        url: this.url,
        remote: 'origin',
        ref: req.localRef,
        remoteRef: req.remoteRef,
        headers,
        force: false,
      });
      return { ok: true };
    } catch (err) {
      const conflict = pushConflict(err);
      if (conflict !== undefined) return { ok: false, conflict: this.redact(conflict) };
      throw this.classify(err, 'push');
    }
  }

  /**
   * Credentials go out pre-emptively as a Basic header: waiting for the 401 challenge would
   * double the requests of every poll.
   */
  private async headers(): Promise<Record<string, string>> {
    const creds = await this.credentials.resolve();
    const h: Record<string, string> = { 'user-agent': 'gitops-seal' };
    if (creds !== undefined) h.authorization = basicAuthorization(creds);
    return h;
  }

  private async guard<T>(operation: GitOperation, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.classify(err, operation);
    }
  }

  private classify(err: unknown, operation: GitOperation): GitError {
    return classifyGitError(err, {
      operation,
      hadCredentials: this.credentials.hadCredentials,
      idleTimeoutMs: this.idleTimeoutMs,
      redact: (t) => this.credentials.redact(t),
    });
  }
}
