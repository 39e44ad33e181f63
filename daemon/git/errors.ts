// The one classification of git failures, shared by every consumer of the client (the source's
// fetch, write-back's fetch and push, reads and writes of the object store). Consumers translate
// the reason into their own error type; they never look at isomorphic-git or Node error codes.
import { CredentialProviderError } from './credentials.js';
import { hideCause } from '../hidden-cause.js';

/** Why a git operation failed; callers branch on this, not on message text. */
export type GitErrorReason =
  | 'auth' // 401/403 (403 on push: see push-rejected), or the credentials provider failed
  | 'not-found' // 404: no such repository
  | 'ref-not-found' // the ref or object asked for is not on the remote (or not in the store)
  | 'network' // connection refused, DNS, reset, idle timeout, TLS (handshake, certificate)
  | 'protocol' // the server answered something we cannot use
  | 'push-rejected' // the server refused a push: 403, protected branch, pre-receive hook
  | 'storage'; // the local object store (disk, permissions, missing object)

/** What was being done: decides what an unrecognised failure is blamed on. */
export type GitOperation = 'list-refs' | 'fetch' | 'push' | 'store';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly reason: GitErrorReason,
    readonly operation: GitOperation,
    /** Short explanation, already redacted. */
    readonly detail: string,
    cause?: unknown,
  ) {
    super(`git ${operation}: ${reason}: ${detail}`);
    hideCause(this, cause);
  }
}

export interface ClassifyContext {
  operation: GitOperation;
  /** Whether credentials went out with the request (a 401 then means "rejected", else "none configured"). */
  hadCredentials?: boolean;
  /** The transport's idle timeout, named in the message of a timeout. */
  idleTimeoutMs?: number;
  /** Scrubs secrets from the detail. */
  redact?: (text: string) => string;
}

/**
 * Node error codes of a remote that cannot be reached or spoken to safely. TLS failures
 * (handshake, self-signed or unverifiable certificates, wrong version) are network errors on
 * every operation: the local store is not at fault and retrying later is the right response.
 */
const NETWORK_CODE =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EPROTO|ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|UNABLE_TO|SELF_SIGNED)/;

/**
 * upload-pack's last words when its pack-objects child dies mid-pack — the server killed or
 * restarted, out of memory or disk: side-band 3 (or stderr over SSH) says this, then the
 * connection drops. It is the remote failing mid-transfer, not a conversation we cannot follow:
 * `network`, retried on the next poll like a reset connection (a server whose repository is
 * really corrupt keeps failing, and says so, each time).
 */
export const SERVER_ABORTED = /aborting due to possible repository corruption on the remote side/i;

interface RawError {
  code?: string;
  message?: string;
  data?: { statusCode?: number; statusMessage?: string; prettyDetails?: string };
  errors?: { code?: string }[];
}

/** Map an isomorphic-git / Node error to a GitError with a reason a caller can act on. */
export function classifyGitError(err: unknown, ctx: ClassifyContext): GitError {
  if (err instanceof GitError) return err;
  const make = (reason: GitErrorReason, detail: string, cause: unknown = err): GitError =>
    new GitError(reason, ctx.operation, ctx.redact ? ctx.redact(detail) : detail, cause);
  if (err instanceof CredentialProviderError) return make('auth', err.message, err.cause);
  const e = (err ?? {}) as RawError;
  const msg = e.message ?? String(err);
  if (e.code === 'HttpError') {
    const status = e.data?.statusCode ?? 0;
    const text = `HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim();
    if (status === 403 && ctx.operation === 'push') {
      return make(
        'push-rejected',
        `${text}: the server refused the push (protected branch or no write access); nothing was lost, retried on the next run`,
      );
    }
    if (status === 401 || status === 403) {
      return make(
        'auth',
        `${text}: ${ctx.hadCredentials ? 'credentials were rejected' : 'the server requires credentials and none are configured'}`,
      );
    }
    if (status === 404) return make('not-found', `${text}: repository not found`);
    return make('protocol', text);
  }
  if (e.code === 'GitPushError') return make('push-rejected', `the server refused the update: ${(e.data?.prettyDetails ?? '').trim()}`);
  const codes = [e.code, ...(e.errors ?? []).map((x) => x.code)];
  const netCode = codes.find((c) => c !== undefined && NETWORK_CODE.test(c));
  if (netCode !== undefined) return make('network', `${netCode}: ${msg}`);
  if (/request timed out/i.test(msg)) return make('network', `no data from the server for ${(ctx.idleTimeoutMs ?? 60_000) / 1000} s`);
  if (SERVER_ABORTED.test(msg)) return make('network', `the server stopped sending the pack: ${msg}`);
  if (e.code === 'NotFoundError') return make('ref-not-found', msg);
  if (/not our ref|upload-pack: not our|want .* not valid/i.test(msg)) return make('ref-not-found', msg);
  if (e.code === 'SmartHttpError' || e.code === 'RemoteCapabilityError' || e.code === 'ParseError') return make('protocol', msg);
  // An errno code (ENOSPC, EACCES…) is the local disk, whichever operation hit it. Anything else
  // during a remote operation is what the server sent (isomorphic-git fails on a damaged pack
  // with plain TypeErrors); outside one, it is the store.
  const errno = typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code);
  return make(errno || ctx.operation === 'store' ? 'storage' : 'protocol', msg);
}

/**
 * When a push failed because someone else moved the branch (isomorphic-git's own fast-forward
 * check, or the server's compare-and-swap on the ref), a description of that; else undefined.
 * Such a refusal is an expected race, retried from the new tip, not an error.
 */
export function pushConflict(err: unknown): string | undefined {
  const e = (err ?? {}) as RawError;
  if (e.code === 'PushRejectedError') return 'not a fast-forward of the current tip';
  if (e.code !== 'GitPushError') return undefined;
  const details = (e.data?.prettyDetails ?? '').trim();
  return /non-fast-forward|fetch first|failed to lock|stale info|cannot lock ref|failed to update ref|but expected/i.test(details)
    ? details
    : undefined;
}
