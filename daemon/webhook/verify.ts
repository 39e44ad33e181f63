// Authenticating incoming webhook requests before they may trigger a reconcile. A webhook only
// ever makes the daemon look sooner (it never carries trusted data), but an unauthenticated
// endpoint would let anyone drive fetch load, so every request must prove the shared secret.
//   github:  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>
//   gitlab:  X-Gitlab-Token: <secret>
//   generic: X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
// All comparisons are constant-time over equal-length digests so timing reveals nothing.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookType = 'github' | 'gitlab' | 'generic';

export type WebhookHeaders = Record<string, string | string[] | undefined>;

/** Header lookup that ignores case; a header sent more than once is ambiguous and rejected. */
function header(headers: WebhookHeaders, name: string): string | undefined {
  const want = name.toLowerCase();
  let found: string | undefined;
  let count = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    count += values.length;
    found = values[0];
  }
  return count === 1 ? found : undefined;
}

/** Parse `sha256=<64 hex>`; anything else (other algorithms, odd lengths, junk) is rejected. */
function parseSha256Signature(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
  return m?.[1] === undefined ? undefined : Buffer.from(m[1], 'hex');
}

function hmacMatches(secret: string, body: Buffer, value: string | undefined): boolean {
  const got = parseSha256Signature(value);
  if (got === undefined) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(got, want);
}

/**
 * Token equality without leaking the length or a prefix through timing: both sides are hashed
 * to 32 bytes first, then compared in constant time.
 */
function tokenMatches(secret: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const a = createHash('sha256').update(value, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b) && value === secret;
}

/**
 * True only when the request proves knowledge of `secret`. An empty secret never verifies:
 * an unconfigured receiver must not accept everything.
 */
export function verifyWebhook(type: WebhookType, secret: string, headers: WebhookHeaders, rawBody: Buffer): boolean {
  if (typeof secret !== 'string' || secret.length === 0) return false;
  if (!Buffer.isBuffer(rawBody) || headers === null || typeof headers !== 'object') return false;
  switch (type) {
    case 'github':
      return hmacMatches(secret, rawBody, header(headers, 'x-hub-signature-256'));
    case 'gitlab':
      return tokenMatches(secret, header(headers, 'x-gitlab-token'));
    case 'generic':
      return hmacMatches(secret, rawBody, header(headers, 'x-signature'));
    default:
      return false;
  }
}

/** Signature header value a sender computes (`sha256=<hex>`); used by tests and the generic sender side. */
export function signBody(secret: string, rawBody: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
