// Typed errors of the Git source. Every message names the source, the URL (never its
// credentials) and the ref, so an operator reading one log line knows what failed and where.

/** Why a source operation failed; callers branch on this, not on message text. */
export type SourceErrorReason =
  | 'auth' // 401/403: credentials missing or wrong
  | 'not-found' // 404: no such repository
  | 'network' // connection refused, DNS, reset, timeout
  | 'ref-not-found' // branch/tag/commit absent on the remote
  | 'no-semver-match' // no tag satisfies the semver range
  | 'invalid-spec' // the source definition itself is unusable
  | 'signature' // commit signature missing, unknown key or invalid
  | 'protocol' // the server answered something we cannot use
  | 'storage'; // local object store unreadable or missing an object

export interface SourceErrorContext {
  source: string;
  /** URL with userinfo removed. */
  url: string;
  /** Human form of the ref, e.g. `branch main`, `semver >=1.0.0 <2`. */
  ref: string;
  reason: SourceErrorReason;
  /** Short explanation (already redacted). */
  detail: string;
  /** The original error, kept for debugging; its text is redacted into `detail`, not exposed. */
  cause?: unknown;
}

export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly source: string;
  readonly url: string;
  readonly ref: string;
  readonly reason: SourceErrorReason;
  readonly detail: string;

  constructor(ctx: SourceErrorContext) {
    super(`git source "${ctx.source}" (${ctx.url}, ${ctx.ref}): ${ctx.reason}: ${ctx.detail}`);
    this.source = ctx.source;
    this.url = ctx.url;
    this.ref = ctx.ref;
    this.reason = ctx.reason;
    this.detail = ctx.detail;
    // The raw cause may carry a URL with credentials or a server body; it is kept as a
    // non-enumerable property so that JSON logging of the error does not serialise it.
    Object.defineProperty(this, 'cause', { value: ctx.cause, enumerable: false, writable: false });
  }
}

/** `https://user:pass@host/x.git` → `https://host/x.git`. Non-URLs are returned unchanged. */
export function stripUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // Not a parseable URL: remove anything that looks like userinfo conservatively.
    return url.replace(/\/\/[^/@\s]*@/g, '//');
  }
}

/** Replace every occurrence of each secret (and its URL-encoded form) in `text` with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    for (const form of new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64')])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}
