// The smart-HTTP transport: isomorphic-git's Node client, with credentials sent pre-emptively as
// a Basic header, an idle timeout on every socket, and traffic counted. All failures leave here
// as GitErrors from the one classification (errors.ts).
import git, { type HttpClient } from 'isomorphic-git';
import { basicAuthorization, RemoteCredentials, stripUserinfo, type CredentialProvider } from './credentials.js';
import { classifyGitError, pushConflict, type GitOperation } from './errors.js';
import { countingHttp } from './http-client.js';
import { fetchPack } from './upload-pack.js';
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
}

export class HttpTransport implements GitTransport {
  readonly url: string;
  private readonly traffic: TrafficStats = { requests: 0, bytesReceived: 0 };
  private readonly credentials: RemoteCredentials;
  private readonly http: HttpClient;
  private readonly idleTimeoutMs: number;

  /** `rawUrl` may carry userinfo; it is moved to the credentials and never sent in the URL. */
  constructor(rawUrl: string, options: HttpTransportOptions = {}) {
    this.url = stripUserinfo(rawUrl);
    this.credentials = new RemoteCredentials(rawUrl, options.auth);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.http = countingHttp(this.traffic, undefined, this.idleTimeoutMs);
  }

  get stats(): Readonly<TrafficStats> {
    return this.traffic;
  }

  redact(text: string): string {
    return this.credentials.redact(text);
  }

  async listRefs(req: ListRefsRequest = {}): Promise<AdvertisedRef[]> {
    return this.guard('list-refs', async () =>
      git.listServerRefs({
        http: this.http,
        url: this.url,
        headers: await this.headers(),
        // Protocol v1: the advertisement is one GET; v2 would need a second ls-refs round trip.
        protocolVersion: 1,
        ...(req.prefix !== undefined ? { prefix: req.prefix } : {}),
        ...(req.peelTags === true ? { peelTags: true } : {}),
      }),
    );
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    return this.guard('fetch', async () =>
      fetchPack({
        http: this.http,
        url: this.url,
        headers: await this.headers(),
        store: req.store,
        remoteRef: req.remoteRef,
        haveRef: req.haveRef,
        ...(req.depth !== undefined ? { depth: req.depth } : {}),
      }),
    );
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

  private classify(err: unknown, operation: GitOperation): Error {
    return classifyGitError(err, {
      operation,
      hadCredentials: this.credentials.hadCredentials,
      idleTimeoutMs: this.idleTimeoutMs,
      redact: (t) => this.credentials.redact(t),
    });
  }
}
