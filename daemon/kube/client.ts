// A thin HTTP client to the apiserver that sends exactly the JSON it is given. The
// @kubernetes/client-node KubeConfig is used only to load configuration (file + context or
// in-cluster) and to compute auth/TLS (credentials.ts: in a worker thread unless the
// credentials need the library to refresh). Unary requests to an https apiserver go over one
// HTTP/2 connection (h2.ts: every request a stream, as kubectl does; less CPU per request on
// both ends than a pool of HTTP/1.1 sockets), falling back to node:https with one bounded
// keep-alive Agent when ALPN does not give h2. Watches (stream()) always use HTTP/1.1: their
// callers consume an IncomingMessage, and a long-lived watch gains nothing from multiplexing.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigAuth, loadAuth, loadAuthInThread, type AuthSource, type LoadOptions } from './credentials.js';
import { apiErrorFromResponse, KubeApiError, KubeTransportError, parseJsonBody } from './errors.js';
import { H2StaleError, H2Transport, H2Unsupported } from './h2.js';

export interface KubeClientOptions {
  /**
   * Upper bound of concurrent requests to the apiserver: HTTP/2 streams on the one connection
   * (default 64), or HTTP/1.1 connections after a fallback (default 32: each is a TLS session).
   */
  maxSockets?: number;
  /** Unary requests over HTTP/2 when the server offers it via ALPN (default true, unless GITOPS_SEAL_KUBE_HTTP2=0). */
  http2?: boolean;
  /** Per-request timeout for non-streaming requests (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * load(): read the kubeconfig with client-node in a short-lived worker thread when the
   * credentials allow it (credentials.ts) — for the long-running daemon, whose RSS would
   * otherwise carry the library's ~70 MiB. Default false: the CLI imports client-node anyway
   * and a worker would only add its start-up.
   */
  kubeconfigWorker?: boolean;
}

export type { LoadOptions } from './credentials.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  /** Serialised with JSON.stringify unless already a string. */
  body?: unknown;
  contentType?: string;
  /** Accept header (default application/json). */
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_THROTTLE_RETRIES = 5;

export class KubeClient {
  readonly server: string;
  private readonly auth: AuthSource;
  private readonly agent: http.Agent;
  /** Set while HTTP/2 is in use; cleared for good when the server does not offer it. */
  private h2: H2Transport | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  /** Request headers for the last auth headers seen (rebuilt when the credentials refresh). */
  private merged: { from: Record<string, string>; headers: Record<string, string> } | undefined;

  private constructor(auth: AuthSource, opts: KubeClientOptions) {
    const tls = auth.tls;
    this.auth = auth;
    this.server = auth.server.replace(/\/+$/, '');
    const maxSockets = opts.maxSockets ?? 32;
    const maxStreams = opts.maxSockets ?? 64;
    const agentOpts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.agent = this.server.startsWith('https:') ? new https.Agent({ ...tls, ...agentOpts }) : new http.Agent(agentOpts);
    // GITOPS_SEAL_KUBE_HTTP2=0: escape hatch (and A/B switch for bench/daemon.ts) to force HTTP/1.1.
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const useH2 = opts.http2 ?? process.env.GITOPS_SEAL_KUBE_HTTP2 !== '0';
    if (this.server.startsWith('https:') && useH2) this.h2 = new H2Transport(new URL(this.server), tls, maxStreams, this.timeoutMs);
    this.userAgent = opts.userAgent ?? 'gitops-seal';
  }

  /** Client for a loaded KubeConfig (its current context). */
  static async fromKubeConfig(kc: KubeConfig, opts: KubeClientOptions = {}): Promise<KubeClient> {
    return new KubeClient(await kubeConfigAuth(kc), opts);
  }

  /** Client for a kubeconfig file / context / in-cluster config, loaded as client-node loads it. */
  static async load(load: LoadOptions = {}, opts: KubeClientOptions = {}): Promise<KubeClient> {
    return new KubeClient(opts.kubeconfigWorker ? await loadAuth(load) : await loadAuthInThread(load), opts);
  }

  /** Release pooled connections (the process can exit without waiting for keep-alive). */
  close(): void {
    this.agent.destroy();
    this.h2?.close();
  }

  /** JSON request; throws KubeApiError on non-2xx, KubeTransportError when no answer. */
  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.requestRaw(path, opts);
    if (res.status < 200 || res.status > 299) {
      throw apiErrorFromResponse(opts.method ?? 'GET', path, res.status, res.body);
    }
    return res.body === '' ? ({} as T) : parseJsonBody<T>(opts.method ?? 'GET', path, res.body);
  }

  /** Like request, but a 404 resolves to undefined. */
  async getOptional<T>(path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.request<T>(path, opts);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Any status is returned; retries 429/Retry-After and stale keep-alive sockets. */
  async requestRaw(path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const method = opts.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      let res: RawResponse;
      try {
        res = await this.once(path, opts);
      } catch (err) {
        // A keep-alive socket the server closed between requests fails with ECONNRESET
        // before any byte is answered; sending again is safe (the request never arrived).
        const reused = err instanceof StaleSocketError;
        if (reused && attempt < 2) continue;
        if (method === 'GET' && attempt < 2 && !(opts.signal?.aborted ?? false)) {
          await sleep(200 * (attempt + 1));
          continue;
        }
        throw new KubeTransportError(method, path, reused ? err.cause : err);
      }
      if ((res.status === 429 || (res.status === 503 && res.headers['retry-after'] !== undefined)) && attempt < MAX_THROTTLE_RETRIES) {
        const after = Number(res.headers['retry-after'] ?? '1');
        await sleep(Math.min(Number.isFinite(after) ? after : 1, 10) * 1000);
        continue;
      }
      return res;
    }
  }

  /** Open a streaming GET (watch); the caller consumes and destroys the response. */
  async stream(path: string, opts: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<IncomingMessage> {
    const headers = await this.headers();
    const url = this.url(path, opts.query);
    return new Promise((resolve, reject) => {
      const req = this.transport().request(url, { method: 'GET', agent: this.agent, headers, signal: opts.signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        collect(res).then(
          (body) => reject(apiErrorFromResponse('GET', path, status, body)),
          (err: unknown) => reject(new KubeTransportError('GET', path, err)),
        );
      });
      req.on('error', (err) => reject(new KubeTransportError('GET', path, err)));
      req.end();
    });
  }

  private async once(path: string, opts: RequestOptions): Promise<RawResponse> {
    const method = opts.method ?? 'GET';
    const headers = { ...(await this.headers()) };
    if (opts.accept !== undefined) headers.accept = opts.accept;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const url = this.url(path, opts.query);
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    const h2 = this.h2;
    if (h2) {
      try {
        const req = {
          method,
          path: url.pathname + url.search,
          headers,
          timeoutMs: timeout,
          ...(body !== undefined ? { body } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        };
        return await h2.request(req);
      } catch (err) {
        if (err instanceof H2StaleError) throw new StaleSocketError(err.cause);
        if (!(err instanceof H2Unsupported)) throw err;
        if (this.h2 === h2) {
          this.h2 = undefined; // e.g. an HTTP/1.1-only proxy in front of the apiserver
          h2.close();
        }
      }
    }
    return new Promise((resolve, reject) => {
      const req = this.transport().request(url, { method, agent: this.agent, headers, signal: opts.signal }, (res) => {
        collect(res).then((text) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }), reject);
      });
      req.setTimeout(timeout, () => req.destroy(new Error(`timeout after ${timeout} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET') reject(new StaleSocketError(err));
        else reject(err);
      });
      req.end(body);
    });
  }

  private transport(): typeof https | typeof http {
    return this.server.startsWith('https:') ? https : http;
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  private async headers(): Promise<Record<string, string>> {
    const from = await this.auth.headers();
    if (this.merged?.from !== from) this.merged = { from, headers: { accept: 'application/json', 'user-agent': this.userAgent, ...from } };
    return this.merged.headers;
  }
}

class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
