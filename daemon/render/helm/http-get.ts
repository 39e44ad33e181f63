// GET over the registry transport (images/http.ts: private CA, body limit) with what chart
// downloads need on top: a few retries, bounded redirects, and credentials sent only to the
// origin they belong to (Helm's default without --pass-credentials), never across a redirect.

import type { BasicCredentials } from '../../images/credentials.js';
import { createTransport, header, TransportError, type HttpResponse, type Transport } from '../../images/http.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, sleep } from '../../images/retry.js';

export class HttpGetError extends Error {
  override readonly name = 'HttpGetError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface HttpGetOptions {
  /** Credentials and the origin (`https://host:port`) they may be sent to. */
  auth?: { origin: string; credentials: BasicCredentials };
  ca?: string | Buffer;
  maxBodyBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Attempts for transport errors, 429 and 5xx (default 3). */
  attempts?: number;
  transport?: Transport;
}

const MAX_REDIRECTS = 5;

/** The body of a 2xx answer to GET `url`; HttpGetError (never carrying credentials) otherwise. */
export async function httpGet(url: string, opts: HttpGetOptions): Promise<Buffer> {
  const transport = opts.transport ?? createTransport(opts.ca !== undefined ? { ca: opts.ca } : {});
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await withRetries(current, opts, transport);
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const loc = header(res, 'location');
        if (!loc) throw new HttpGetError(`${redact(current)} answered ${res.status} without a Location`, res.status);
        if (hop >= MAX_REDIRECTS) throw new HttpGetError(`${redact(url)}: more than ${MAX_REDIRECTS} redirects`, res.status);
        const next = new URL(loc, current);
        if (next.protocol !== 'https:' && next.protocol !== 'http:')
          throw new HttpGetError(`${redact(current)} redirects to a ${next.protocol} URL`, res.status);
        if (new URL(current).protocol === 'https:' && next.protocol === 'http:')
          throw new HttpGetError(`${redact(current)} redirects from https to http`, res.status);
        current = next.toString();
        continue;
      }
      if (res.status < 200 || res.status > 299) throw new HttpGetError(`GET ${redact(current)} answered ${res.status}`, res.status);
      return res.body;
    }
  } finally {
    if (!opts.transport) transport.close();
  }
}

async function withRetries(url: string, opts: HttpGetOptions, transport: Transport): Promise<HttpResponse> {
  const attempts = opts.attempts ?? 3;
  const headers: Record<string, string> = { 'User-Agent': 'gitops-seal-helm', Accept: '*/*' };
  if (opts.auth && new URL(url).origin === opts.auth.origin) {
    const { username, password } = opts.auth.credentials;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  for (let attempt = 1; ; attempt++) {
    let res: HttpResponse;
    try {
      res = await transport.request({ method: 'GET', url, headers, timeoutMs: opts.timeoutMs, maxBodyBytes: opts.maxBodyBytes });
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      if (attempt >= attempts || e.code === 'EBODYTOOLARGE') throw new HttpGetError(`GET ${redact(url)}: ${e.message}`);
      await sleep(backoffDelay(attempt, DEFAULT_RETRY), opts.signal);
      continue;
    }
    if (isRetryableStatus(res.status) && attempt < attempts) {
      await sleep(backoffDelay(attempt, DEFAULT_RETRY), opts.signal);
      continue;
    }
    return res;
  }
}

/** A URL for messages: no userinfo, no query (tokens live there), no fragment. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
