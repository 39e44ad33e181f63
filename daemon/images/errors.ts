// Typed errors of image scanning. Every message names the image and the registry host and says
// what went wrong in one line; credentials, tokens and Authorization headers never appear in them.
import { hideCause } from '../hidden-cause.js';

/** Why a registry operation failed; callers (status, metrics, retries) branch on this. */
export type RegistryErrorReason =
  | 'unauthorized' // 401: no credentials, wrong credentials, or the token service refused
  | 'forbidden' // 403: credentials valid but not allowed to pull
  | 'not-found' // 404: repository (or tag) does not exist
  | 'rate-limited' // 429 after every allowed retry, or a Retry-After longer than we wait
  | 'server' // 5xx after every allowed retry
  | 'malformed' // the registry answered something that is not what the API promises
  | 'pagination' // the Link chain does not end, repeats, or leaves the registry
  | 'network' // connection refused/reset, DNS, TLS, timeout
  | 'credentials' // our own credential source is unusable (missing env var, bad dockerconfigjson)
  | 'protocol'; // unexpected status or challenge we cannot answer

export interface RegistryErrorContext {
  /** Image as configured or canonical, e.g. `ghcr.io/org/app`. */
  image: string;
  /** Registry host the request went to, e.g. `registry-1.docker.io`. */
  registry: string;
  reason: RegistryErrorReason;
  /** Short, already redacted explanation. */
  detail: string;
  status?: number;
  /** Milliseconds the registry asked us to wait (rate limiting), when it said. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly image: string;
  readonly registry: string;
  readonly reason: RegistryErrorReason;
  readonly detail: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(ctx: RegistryErrorContext) {
    super(`image ${ctx.image} (registry ${ctx.registry}): ${ctx.reason}: ${ctx.detail}`);
    this.image = ctx.image;
    this.registry = ctx.registry;
    this.reason = ctx.reason;
    this.detail = ctx.detail;
    this.status = ctx.status;
    this.retryAfterMs = ctx.retryAfterMs;
    hideCause(this, ctx.cause);
  }
}

/** A policy that cannot be evaluated (bad range/regex, non-numeric tag under a numerical policy). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** First line of a server body, trimmed and bounded, for error details. */
export function snippet(body: string, max = 200): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
