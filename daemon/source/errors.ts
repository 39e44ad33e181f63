// Typed errors of the Git source. Every message names the source, the URL (never its
// credentials) and the ref, so an operator reading one log line knows what failed and where.
import { hideCause } from '../hidden-cause.js';

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
    hideCause(this, ctx.cause);
  }
}

// Kept here for the importers outside the daemon's git code (CLI, status) that strip URLs.
export { stripUserinfo } from '../git/index.js';
