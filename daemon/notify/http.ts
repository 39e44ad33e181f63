// One POST of a JSON body, classified for the channel: 2xx delivered; 429 and 5xx retryable
// (Retry-After honoured); other 4xx final; no answer or a broken connection retryable. Error
// texts name the channel and the status code only — never the URL (a chat webhook's URL is its
// token) nor the response body (a server may echo the request's credentials).
import { DeliveryError } from './errors.js';

export interface PostRequest {
  /** The channel's name, for error texts. */
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date), capped at 10 minutes. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 600_000) : undefined;
}

export async function postJson(req: PostRequest, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'gitops-seal', ...req.headers },
      body: req.body,
      signal,
      // Not followed: a redirect could carry a token header (PRIVATE-TOKEN) to another host.
      redirect: 'manual',
    });
  } catch (err) {
    if (signal.aborted) throw new DeliveryError('timeout', `${req.name}: request aborted (timeout)`, true);
    // undici's "fetch failed" hides the reason in its cause: ECONNREFUSED, ENOTFOUND, a TLS error.
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    // Only the code or the error's class: a message may quote the URL, which can be the token.
    const why = typeof cause?.code === 'string' ? cause.code : err instanceof Error ? err.name : 'error';
    throw new DeliveryError('network', `${req.name}: cannot reach the endpoint: ${why}`, true);
  }
  // The body is not used: read and drop it so the connection can be reused.
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return;
  const s = res.status;
  if (s === 429)
    throw new DeliveryError('rate-limited', `${req.name}: HTTP 429 (rate limited)`, true, retryAfterMs(res.headers.get('retry-after')));
  if (s >= 500) throw new DeliveryError('http-5xx', `${req.name}: HTTP ${s}`, true, retryAfterMs(res.headers.get('retry-after')));
  if (s === 408) throw new DeliveryError('timeout', `${req.name}: HTTP 408`, true);
  if (s >= 300 && s < 400)
    throw new DeliveryError('http-4xx', `${req.name}: HTTP ${s} (redirected; configure the address it moved to)`, false);
  const hint =
    s === 401 || s === 403 ? ' (check the token and its permissions)' : s === 404 ? ' (check the URL, repository and token scope)' : '';
  throw new DeliveryError('http-4xx', `${req.name}: HTTP ${s}${hint}`, false);
}
