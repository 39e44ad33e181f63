// Typed errors of the apiserver client. Each names the request and, when known, the object
// (Kind/namespace/name) so one log line says what failed; callers branch on `status`/`reason`.
import { formatKey, keyOf, type KubeObject, type KubeStatus, type ObjectKey } from './types.js';
import { hideCause } from '../hidden-cause.js';

export interface KubeApiErrorContext {
  method: string;
  /** Request path without the query string (no credentials ever appear in it). */
  path: string;
  status: number;
  /** Status.reason, e.g. NotFound, Conflict, Invalid, AlreadyExists, Forbidden. */
  reason: string;
  /** Status.message from the apiserver (already redacted of Secret values by the caller). */
  message: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  key?: ObjectKey;
}

/** The apiserver answered with a non-2xx status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly reason: string;
  readonly detail: string;
  readonly causes: { reason?: string; message?: string; field?: string }[];
  readonly key: ObjectKey | undefined;

  constructor(ctx: KubeApiErrorContext) {
    const what = ctx.key ? formatKey(ctx.key) : `${ctx.method} ${ctx.path}`;
    super(`${what}: ${ctx.status} ${ctx.reason}: ${ctx.message}`);
    this.method = ctx.method;
    this.path = ctx.path;
    this.status = ctx.status;
    this.reason = ctx.reason;
    this.detail = ctx.message;
    this.causes = ctx.causes ?? [];
    this.key = ctx.key;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get conflict(): boolean {
    return this.status === 409;
  }

  /** Same error, now naming the object it concerned. */
  withKey(key: ObjectKey): KubeApiError {
    return new KubeApiError({ ...this.context(), key });
  }

  private context(): KubeApiErrorContext {
    return {
      method: this.method,
      path: this.path,
      status: this.status,
      reason: this.reason,
      message: this.detail,
      causes: this.causes,
      ...(this.key ? { key: this.key } : {}),
    };
  }
}

/** The request never got an HTTP answer (connection refused, TLS, timeout, reset). */
export class KubeTransportError extends Error {
  override readonly name = 'KubeTransportError';
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, cause: unknown) {
    super(`${method} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.method = method;
    this.path = path;
    hideCause(this, cause);
  }
}

/**
 * An apiserver answer that does not parse as JSON: cut short (a connection lost mid-answer can
 * look like a clean end on HTTP/2) or not from an apiserver. The message gives the size and the
 * parser's position only — V8's own message quotes the text around the error, which may be
 * Secret data.
 */
export function parseJsonBody<T>(method: string, path: string, body: string): T {
  try {
    return JSON.parse(body) as T;
  } catch (err) {
    const at = err instanceof Error ? /position (\d+)/.exec(err.message)?.[1] : undefined;
    const where = at === undefined ? '' : ` at byte ${at}`;
    throw new KubeTransportError(
      method,
      path,
      new Error(`answer is not valid JSON${where} (${Buffer.byteLength(body)} bytes: cut short, or not an apiserver)`),
    );
  }
}

/** No resource in discovery serves this apiVersion/kind (CRD missing or not yet established). */
export class NoMatchError extends Error {
  override readonly name = 'NoMatchError';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`no resource for kind ${kind} in ${apiVersion} (is the CRD installed and Established?)`);
  }
}

/** Build a KubeApiError from an error response; the body may be a Status, other JSON or text. */
export function apiErrorFromResponse(method: string, path: string, status: number, body: string): KubeApiError {
  let parsed: Partial<KubeStatus> | undefined;
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null) parsed = v as Partial<KubeStatus>;
  } catch {
    parsed = undefined;
  }
  const reason = parsed?.reason ?? defaultReason(status);
  const message = parsed?.message ?? (body.trim().slice(0, 500) || `HTTP ${status}`);
  return new KubeApiError({ method, path, status, reason, message, causes: parsed?.details?.causes ?? [] });
}

function defaultReason(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    default:
      return status >= 500 ? 'InternalError' : 'Unknown';
  }
}

/**
 * Secret values must never reach logs or errors. The apiserver's messages quote invalid
 * values for some fields, so for a Secret we scrub every data/stringData value (raw and
 * base64-decoded) out of the message before it leaves this package.
 */
export function redactSecretValues(message: string, obj: KubeObject | undefined): string {
  if (!obj || obj.kind !== 'Secret') return message;
  const values: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const m = obj[field];
    if (typeof m !== 'object' || m === null) continue;
    for (const v of Object.values(m as Record<string, unknown>)) {
      if (typeof v !== 'string' || v === '') continue;
      values.push(v);
      if (field === 'data') {
        const decoded = Buffer.from(v, 'base64').toString('utf8');
        if (decoded !== '') values.push(decoded);
      }
    }
  }
  // Longest first so a value containing another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  let out = message;
  for (const v of values) out = out.split(v).join('***');
  return out;
}

export function redactedApiError(err: KubeApiError, obj: KubeObject): KubeApiError {
  const message = redactSecretValues(err.detail, obj);
  const causes = err.causes.map((c) => ({ ...c, ...(c.message ? { message: redactSecretValues(c.message, obj) } : {}) }));
  return new KubeApiError({
    method: err.method,
    path: err.path,
    status: err.status,
    reason: err.reason,
    message,
    causes,
    key: err.key ?? keyOf(obj),
  });
}
