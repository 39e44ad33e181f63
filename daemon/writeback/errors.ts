// Typed errors of image-update write-back. Each names what failed (file and position for YAML,
// repository URL without credentials and branch for git) and why, as a reason a caller can branch
// on; the raw cause is kept non-enumerable so JSON logs never serialize a server body or URL.
import { hideCause } from '../hidden-cause.js';

/** A YAML file under the automation path that could not be read or edited. */
export class YamlEditError extends Error {
  override readonly name = 'YamlEditError';
  constructor(
    /** Repository-relative path. */
    readonly file: string,
    /** 1-based line and column of the problem (1:1 when the file as a whole is at fault). */
    readonly line: number,
    readonly col: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${col}: ${detail}`);
  }
}

export type WritebackErrorReason =
  | 'auth' // 401, or 403 on reading: credentials missing or wrong
  | 'push-rejected' // 403 on push, or a pre-receive hook refused it: protected branch
  | 'conflict' // the branch kept moving: attempts exhausted
  | 'not-found' // repository or source branch missing
  | 'network' // connection refused, reset, timeout
  | 'signing' // signing key unreadable or unusable
  | 'protocol' // the server answered something we cannot use
  | 'storage'; // local work store unusable

export class WritebackError extends Error {
  override readonly name = 'WritebackError';
  readonly reason: WritebackErrorReason;
  /** URL without credentials. */
  readonly url: string;
  readonly branch: string;
  readonly detail: string;

  constructor(ctx: { reason: WritebackErrorReason; url: string; branch: string; detail: string; cause?: unknown }) {
    super(`image update push to ${ctx.url} (branch ${ctx.branch}): ${ctx.reason}: ${ctx.detail}`);
    this.reason = ctx.reason;
    this.url = ctx.url;
    this.branch = ctx.branch;
    this.detail = ctx.detail;
    hideCause(this, ctx.cause);
  }
}
