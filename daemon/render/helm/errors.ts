// One error type for everything that stops a Helm render. The message names the sync, the chart
// (or the file) and the cause; it never carries a value, a credential or a rendered manifest.

/** Why a Helm render failed; the render stage and status branch on it. */
export type HelmErrorReason =
  | 'config' // the chart spec itself is unusable (bad URL, bad range, bad digest)
  | 'fetch' // repository or registry unreachable / refusing / answering nonsense
  | 'not-found' // no chart, no version in range, no such file in the revision
  | 'digest' // downloaded bytes do not match the digest the index or manifest promised
  | 'values' // a values file is missing, malformed, tampered or has no key (file named)
  | 'chart' // a chart file is unusable (e.g. SOPS-encrypted inside the chart)
  | 'helm' // helm exited non-zero: its own message, redacted
  | 'timeout' // the render exceeded its deadline
  | 'output' // helm's output is too large or not valid manifests
  | 'hook'; // a hook annotation we cannot classify

export class HelmRenderError extends Error {
  override readonly name = 'HelmRenderError';
  readonly sync: string;
  readonly reason: HelmErrorReason;
  /** The chart as written in the config, or the file at fault. */
  readonly subject: string;

  constructor(ctx: { sync: string; reason: HelmErrorReason; subject: string; detail: string; cause?: unknown }) {
    super(`sync ${ctx.sync}: helm chart ${ctx.subject}: ${ctx.detail}`);
    this.sync = ctx.sync;
    this.reason = ctx.reason;
    this.subject = ctx.subject;
    // Non-enumerable: a JSON log of the error must not serialise a raw cause we did not vet.
    Object.defineProperty(this, 'cause', { value: ctx.cause, enumerable: false, writable: false });
  }
}
