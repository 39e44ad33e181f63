// Registry authentication driven by the WWW-Authenticate challenge (distribution's token spec):
//   Bearer → GET <realm>?service=<service>&scope=repository:<repo>:pull (with Basic credentials
//            when we have them, anonymously otherwise); the token is cached until shortly before
//            it expires and sent proactively, so a 1,000-page tag listing costs one token request;
//   Basic  → the configured username/password;
//   none   → anonymous.
// A 401 on a request that carried a token drops the token and fetches a new one once.

import { parseChallenges, type Challenge } from './challenge.js';
import { CredentialsError, type BasicCredentials, type CredentialsProvider } from './credentials.js';
import { RegistryError, snippet } from './errors.js';
import { TransportError, type Transport } from './http.js';

/** Tokens without expires_in live 60 s (token spec); renew this long before expiry. */
const DEFAULT_TOKEN_TTL_S = 60;
const EXPIRY_SKEW_MS = 5_000;

export interface AuthContext {
  image: string;
  apiHost: string;
  repository: string;
  credentials: CredentialsProvider;
  transport: Transport;
  timeoutMs: number;
  /** Called once per HTTP request we send (token requests count too). */
  onRequest: () => void;
  now?: () => number;
}

export class Authenticator {
  private challenge: Challenge | undefined;
  private token: { value: string; expiresAt: number } | undefined;
  /** Count of tokens fetched, for tests of token caching. */
  tokensFetched = 0;

  constructor(private readonly ctx: AuthContext) {}

  private now(): number {
    return (this.ctx.now ?? Date.now)();
  }

  private fail(
    reason: 'unauthorized' | 'malformed' | 'network' | 'credentials' | 'protocol',
    detail: string,
    status?: number,
    cause?: unknown,
  ): RegistryError {
    return new RegistryError({
      image: this.ctx.image,
      registry: this.ctx.apiHost,
      reason,
      detail,
      ...(status !== undefined ? { status } : {}),
      cause,
    });
  }

  private async creds(): Promise<BasicCredentials | undefined> {
    try {
      return await this.ctx.credentials();
    } catch (e) {
      if (e instanceof CredentialsError) throw this.fail('credentials', e.message, undefined, e);
      throw e;
    }
  }

  /** The Authorization header to send proactively, once a challenge has been seen. */
  async header(): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return basicHeader(await this.creds());
    if (this.token && this.token.expiresAt > this.now()) return `Bearer ${this.token.value}`;
    return `Bearer ${await this.fetchToken(ch)}`;
  }

  /**
   * Handle a 401: remember the challenge and return the Authorization to retry with. The client
   * retries a request at most once after a 401, so a second 401 means the credentials are wrong.
   */
  async onUnauthorized(wwwAuthenticate: string | undefined): Promise<string> {
    const challenges = parseChallenges(wwwAuthenticate ?? '');
    const ch = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!ch) {
      throw this.fail(
        'unauthorized',
        wwwAuthenticate
          ? `401 with an unsupported challenge (scheme ${challenges[0]?.scheme ?? 'none'})`
          : '401 without a WWW-Authenticate challenge',
        401,
      );
    }
    this.challenge = ch;
    this.token = undefined;
    if (ch.scheme === 'basic') {
      const h = basicHeader(await this.creds());
      if (!h) throw this.fail('unauthorized', 'registry requires credentials (Basic) and none are configured', 401);
      return h;
    }
    return `Bearer ${await this.fetchToken(ch)}`;
  }

  /** Whether credentials are configured (for the wording of a final 401). */
  async hasCredentials(): Promise<boolean> {
    return (await this.creds()) !== undefined;
  }

  private async fetchToken(ch: Challenge): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw this.fail('protocol', 'Bearer challenge without a realm', 401);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.fail('protocol', 'Bearer challenge realm is not a URL', 401);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw this.fail('protocol', `token realm scheme ${url.protocol} is not http(s)`, 401);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    const scopes = new Set<string>((ch.params.scope ?? '').split(' ').filter((s) => s !== ''));
    scopes.add(`repository:${this.ctx.repository}:pull`);
    for (const s of scopes) url.searchParams.append('scope', s);
    const creds = await this.creds();
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT };
    const basic = basicHeader(creds);
    if (basic) headers.Authorization = basic;
    this.ctx.onRequest();
    let res;
    try {
      res = await this.ctx.transport.request({
        method: 'GET',
        url: url.toString(),
        headers,
        timeoutMs: this.ctx.timeoutMs,
        maxBodyBytes: 1024 * 1024,
      });
    } catch (e) {
      if (e instanceof TransportError) throw this.fail('network', `token service ${url.host}: ${e.message}`, undefined, e);
      throw e;
    }
    const where = `token service ${url.host}${url.pathname}`;
    if (res.status === 401 || res.status === 403) {
      throw this.fail(
        'unauthorized',
        creds
          ? `${where} rejected the configured credentials (${res.status})`
          : `${where} refused anonymous access (${res.status}); configure credentials`,
        res.status,
      );
    }
    if (res.status < 200 || res.status > 299)
      throw this.fail('protocol', `${where} answered ${res.status}: ${snippet(res.body.toString('utf8'))}`, res.status);
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch (e) {
      throw this.fail('malformed', `${where} answered invalid JSON`, res.status, e);
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof b.token === 'string' && b.token !== '' ? b.token : typeof b.access_token === 'string' ? b.access_token : undefined;
    if (!token) throw this.fail('malformed', `${where} answered without a token`, res.status);
    const ttl = typeof b.expires_in === 'number' && Number.isFinite(b.expires_in) && b.expires_in > 0 ? b.expires_in : DEFAULT_TOKEN_TTL_S;
    this.token = { value: token, expiresAt: this.now() + Math.max(1_000, ttl * 1000 - EXPIRY_SKEW_MS) };
    this.tokensFetched++;
    return token;
  }
}

export const USER_AGENT = 'gitops-seal-image-scanner';

function basicHeader(creds: BasicCredentials | undefined): string | undefined {
  return creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
}
