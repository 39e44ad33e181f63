// OCI distribution API v2 client for scanning: list every tag (paged via `n` and Link), resolve
// a tag's manifest digest. Auth per WWW-Authenticate challenge (auth.ts), 429/5xx retried with
// Retry-After or backoff (retry.ts), concurrency shared per registry host (limiter.ts).

import { createHash } from 'node:crypto';
import { Authenticator, USER_AGENT } from './auth.js';
import { parseNextLink } from './challenge.js';
import type { CredentialsProvider } from './credentials.js';
import { RegistryError, snippet, type RegistryErrorReason } from './errors.js';
import { createTransport, header, TransportError, type HttpResponse, type Transport } from './http.js';
import { limiterFor, type Limiter } from './limiter.js';
import { bump, emptyStats, type RegistryStats } from './metrics.js';
import type { ImageReference } from './reference.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

/** Manifest types we accept, so the registry answers with the index digest of multi-arch images. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface RegistryClientOptions {
  ref: ImageReference;
  credentials?: CredentialsProvider;
  /** Plain HTTP instead of HTTPS. */
  insecure?: boolean;
  /** PEM CA bundle for HTTPS registries behind a private CA. */
  ca?: string | Buffer;
  retry?: Partial<RetryPolicy>;
  /** Requests in flight per registry host (shared by every client of the host; default 4). */
  concurrency?: number;
  /** Own limiter instead of the shared per-host one (tests). */
  limiter?: Limiter;
  /** Tags asked for per page (`n`); registries may send fewer (default 1000). */
  pageSize?: number;
  /** A tag listing longer than this many pages is an error (default 1000). */
  maxPages?: number;
  timeoutMs?: number;
  random?: () => number;
  signal?: AbortSignal;
}

export interface TagList {
  tags: string[];
  pages: number;
}

export class RegistryClient {
  readonly stats: RegistryStats = emptyStats();
  readonly auth: Authenticator;
  private readonly base: string;
  private readonly image: string;
  private readonly apiHost: string;
  private readonly retry: RetryPolicy;
  private readonly limiter: Limiter;
  private readonly transport: Transport;

  constructor(private readonly opts: RegistryClientOptions) {
    const ref = opts.ref;
    this.image = ref.canonical;
    this.apiHost = ref.apiHost;
    this.base = `${opts.insecure ? 'http' : 'https'}://${ref.apiHost}`;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.limiter = opts.limiter ?? limiterFor(ref.apiHost, opts.concurrency);
    this.transport = createTransport(opts.ca !== undefined ? { ca: opts.ca } : {});
    this.auth = new Authenticator({
      image: this.image,
      apiHost: ref.apiHost,
      repository: ref.repository,
      credentials: opts.credentials ?? (async () => undefined),
      transport: this.transport,
      timeoutMs: opts.timeoutMs ?? 30_000,
      onRequest: () => bump(this.stats, this.apiHost, 'requests'),
    });
  }

  close(): void {
    this.transport.close();
  }

  private error(
    reason: RegistryErrorReason,
    detail: string,
    extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ): RegistryError {
    return new RegistryError({ image: this.image, registry: this.apiHost, reason, detail, ...extra });
  }

  /** Counts each failed operation once, whichever layer (auth, transport, parsing) raised it. */
  private async counted<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RegistryError) bump(this.stats, this.apiHost, 'errors');
      throw e;
    }
  }

  /**
   * One logical request: auth (one re-authentication after a 401), retries of 429/5xx/transport
   * errors. Returns any other response, 2xx or not, for the caller to interpret.
   */
  private async send(method: 'GET' | 'HEAD', url: string, accept: string): Promise<HttpResponse> {
    let reauthenticated = false;
    let sent: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const auth = sent ?? (await this.auth.header());
      sent = undefined;
      const headers: Record<string, string> = { Accept: accept, 'User-Agent': USER_AGENT };
      if (auth) headers.Authorization = auth;
      let res: HttpResponse;
      try {
        res = await this.limiter.run(() => {
          bump(this.stats, this.apiHost, 'requests');
          return this.transport.request({ method, url, headers, timeoutMs: this.opts.timeoutMs ?? 30_000 });
        });
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        if (attempt >= this.retry.maxAttempts || e.code === 'EBODYTOOLARGE') {
          throw this.error('network', `${method} ${pathOf(url)}: ${e.message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`, {
            cause: e,
          });
        }
        bump(this.stats, this.apiHost, 'retries');
        await sleep(backoffDelay(attempt, this.retry, this.opts.random), this.opts.signal);
        continue;
      }
      if (res.status === 401) {
        if (reauthenticated) {
          const has = await this.auth.hasCredentials();
          const detail = has
            ? 'registry rejected the configured credentials (401)'
            : 'registry requires credentials (401) and none are configured';
          throw this.error('unauthorized', detail, { status: 401 });
        }
        reauthenticated = true;
        sent = await this.auth.onUnauthorized(header(res, 'www-authenticate'));
        attempt--; // an auth round trip is not a retry
        continue;
      }
      if (isRetryableStatus(res.status)) {
        const limited = res.status === 429;
        if (limited) bump(this.stats, this.apiHost, 'rateLimited');
        const retryAfterMs = parseRetryAfter(header(res, 'retry-after'));
        const reason = limited ? 'rate-limited' : 'server';
        const what = `${method} ${pathOf(url)} answered ${res.status}`;
        if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) {
          throw this.error(
            reason,
            `${what} with Retry-After ${Math.round(retryAfterMs / 1000)} s, longer than the ${this.retry.maxRetryAfterMs / 1000} s we wait`,
            { status: res.status, retryAfterMs },
          );
        }
        if (attempt >= this.retry.maxAttempts) {
          const body = method === 'HEAD' ? '' : `: ${snippet(res.body.toString('utf8'))}`;
          throw this.error(reason, `${what} ${attempt} times${body}`, {
            status: res.status,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          });
        }
        bump(this.stats, this.apiHost, 'retries');
        await sleep(retryAfterMs ?? backoffDelay(attempt, this.retry, this.opts.random), this.opts.signal);
        continue;
      }
      return res;
    }
  }

  private statusError(res: HttpResponse, what: string): RegistryError {
    const body = snippet(res.body.toString('utf8'));
    const code = registryErrorCode(res.body);
    const suffix = code ? ` (${code})` : body ? `: ${body}` : '';
    if (res.status === 404) return this.error('not-found', `${what} not found${suffix}`, { status: 404 });
    if (res.status === 403) return this.error('forbidden', `access to ${what} denied (403)${suffix}`, { status: 403 });
    return this.error('protocol', `${what}: unexpected status ${res.status}${suffix}`, { status: res.status });
  }

  /** Every tag of the repository, following Link rel="next" to the last page. */
  async listTags(): Promise<TagList> {
    return this.counted(() => this.listTagsInner());
  }

  private async listTagsInner(): Promise<TagList> {
    const repo = this.opts.ref.repository;
    const pageSize = this.opts.pageSize ?? 1000;
    const maxPages = this.opts.maxPages ?? 1000;
    const origin = new URL(this.base).origin;
    const seen = new Set<string>();
    const tags: string[] = [];
    const visited = new Set<string>();
    let url: string | undefined = `${this.base}/v2/${repo}/tags/list?n=${pageSize}`;
    let pages = 0;
    let retriedWithoutN = false;
    while (url !== undefined) {
      if (visited.has(url)) {
        throw this.error('pagination', `tag list Link points back to a page already fetched (${pathOf(url)}) after ${pages} pages`);
      }
      if (pages >= maxPages) throw this.error('pagination', `tag list has more than ${maxPages} pages; the Link chain does not end`);
      visited.add(url);
      const res = await this.send('GET', url, 'application/json');
      if (res.status === 400 && pages === 0 && !retriedWithoutN) {
        // Some registries refuse an `n` above their cap instead of clamping it: ask for their default.
        retriedWithoutN = true;
        url = `${this.base}/v2/${repo}/tags/list`;
        continue;
      }
      if (res.status < 200 || res.status > 299) throw this.statusError(res, `repository ${repo}`);
      const page = parseTagsPage(res.body);
      if (typeof page === 'string') throw this.error('malformed', `tag list page ${pages + 1}: ${page}`, { status: res.status });
      pages++;
      let fresh = 0;
      for (const t of page) {
        if (seen.has(t)) continue;
        seen.add(t);
        tags.push(t);
        fresh++;
      }
      if (page.length > 0 && fresh === 0) {
        throw this.error('pagination', `tag list page ${pages} repeats only tags already listed; the registry ignores "last"`);
      }
      const next = parseNextLink(header(res, 'link'), url);
      if (next !== undefined && new URL(next).origin !== origin) {
        // Following it would send our Authorization to another host.
        throw this.error('pagination', `tag list Link points to another origin (${new URL(next).host})`);
      }
      url = next;
    }
    return { tags, pages };
  }

  /** Digest of the manifest (index for multi-arch images) that `reference` (tag or digest) names. */
  async manifestDigest(reference: string): Promise<string> {
    return this.counted(async () => {
      const url = `${this.base}/v2/${this.opts.ref.repository}/manifests/${encodeURIComponent(reference)}`;
      const what = `manifest ${this.opts.ref.repository}:${reference}`;
      const head = await this.send('HEAD', url, MANIFEST_ACCEPT);
      if (head.status >= 200 && head.status <= 299) {
        const d = header(head, 'docker-content-digest');
        if (d !== undefined && DIGEST.test(d)) return d;
      } else if (head.status !== 405) {
        throw this.statusError(head, what);
      }
      // No usable header (or HEAD not allowed): fetch the manifest and hash its exact bytes.
      return (await this.fetchManifest(reference, MANIFEST_ACCEPT)).digest;
    });
  }

  /** GET a manifest and hash its exact bytes; the Docker-Content-Digest header must agree. */
  private async fetchManifest(reference: string, accept: string): Promise<{ digest: string; mediaType: string | undefined; body: Buffer }> {
    const url = `${this.base}/v2/${this.opts.ref.repository}/manifests/${encodeURIComponent(reference)}`;
    const what = `manifest ${this.opts.ref.repository}:${reference}`;
    const res = await this.send('GET', url, accept);
    if (res.status < 200 || res.status > 299) throw this.statusError(res, what);
    const digest = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    const d = header(res, 'docker-content-digest');
    if (d !== undefined && DIGEST.test(d) && d !== digest) {
      throw this.error('malformed', `${what}: Docker-Content-Digest ${d} does not match the body (${digest})`);
    }
    return { digest, mediaType: header(res, 'content-type'), body: res.body };
  }
  /**
   * The manifest `reference` (tag or digest) names, its exact bytes and their digest. A digest
   * reference is checked against the bytes; a tag's Docker-Content-Digest header must match them.
   * (Helm charts in OCI registries are fetched this way: daemon/render/helm/oci.ts.)
   */
  async getManifest(
    reference: string,
    accept: string = MANIFEST_ACCEPT,
  ): Promise<{ digest: string; mediaType: string | undefined; body: Buffer }> {
    return this.counted(async () => {
      const m = await this.fetchManifest(reference, accept);
      if (DIGEST.test(reference) && reference !== m.digest) {
        throw this.error('malformed', `manifest ${this.opts.ref.repository}@${reference}: body has digest ${m.digest}`);
      }
      return m;
    });
  }

  /**
   * A blob's bytes, checked against `digest` (sha256 only). A redirect (registries hand blobs to a
   * storage host) is followed once, without our Authorization: it is for the registry only.
   */
  async getBlob(digest: string): Promise<Buffer> {
    return this.counted(async () => {
      if (!DIGEST.test(digest)) throw this.error('malformed', `blob digest "${digest}" is not sha256:<64 hex>`);
      const url = `${this.base}/v2/${this.opts.ref.repository}/blobs/${digest}`;
      const what = `blob ${this.opts.ref.repository}@${digest}`;
      let res = await this.send('GET', url, '*/*');
      const location = header(res, 'location');
      if ([301, 302, 303, 307, 308].includes(res.status) && location !== undefined) {
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && this.opts.insecure)) {
          throw this.error('protocol', `${what}: redirect to a ${next.protocol} URL refused`);
        }
        try {
          res = await this.limiter.run(() => {
            bump(this.stats, this.apiHost, 'requests');
            return this.transport.request({
              method: 'GET',
              url: next.toString(),
              headers: { 'User-Agent': USER_AGENT },
              timeoutMs: this.opts.timeoutMs ?? 30_000,
            });
          });
        } catch (e) {
          if (e instanceof TransportError) throw this.error('network', `${what} (redirected to ${next.host}): ${e.message}`, { cause: e });
          throw e;
        }
      }
      if (res.status < 200 || res.status > 299) throw this.statusError(res, what);
      const actual = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
      if (actual !== digest) throw this.error('malformed', `${what}: body has digest ${actual}`);
      return res.body;
    });
  }
}

/** The tags of one tags/list page, or why the body is not one. Never throws. */
export function parseTagsPage(body: Buffer | string): string[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return 'body is not valid JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'body is not a JSON object';
  const tags = (doc as { tags?: unknown }).tags;
  // Distribution sends `"tags": null` (or omits it) for an empty page.
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags)) return '"tags" is not a list';
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') return '"tags" contains a non-string';
    out.push(t);
  }
  return out;
}

function registryErrorCode(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown }[] };
    const code = doc.errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}
