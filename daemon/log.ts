// Structured JSON logs (pino). Log calls pass names, revisions, counts and error messages —
// never objects or file contents — and every line is scrubbed before it is written, in case a
// secret ever slips into a log call:
// - by key, at any depth and in any letter case (password, token, secret, data, stringData,
//   authorization, identity, cookie, ...; also keys ending in password/token/secret/apikey),
//   in the logged object, in child-logger bindings and in the own properties of logged errors;
// - by shape, in every string of the finished line (messages, error messages and stacks, format
//   arguments): age secret keys, PEM private keys, Vault tokens, Bearer/Basic credentials,
//   user:password@ in URLs and password=/token=/secret= pairs.
import { pino, stdSerializers, type Logger } from 'pino';

export const CENSOR = '[REDACTED]';

/** Keys whose values are never logged (compared in lower case). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'data',
  'stringdata',
  'binarydata',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'identity',
  'identities',
  'plaintext',
]);
const SECRET_KEY_SUFFIX = /(?:password|passwd|secret|token|api[-_]?key|private[-_]?key)$/i;

/** Deeper than this, values are dropped rather than walked (a log call never needs more). */
const MAX_DEPTH = 12;

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_KEY_SUFFIX.test(key);
}

// Applied to the serialized JSON line: no pattern may consume a quote or a backslash (other
// than the two-character \n and \r escapes inside a PEM block), so the line stays valid JSON.
const SECRET_SHAPES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[A-Za-z0-9+/=\s]|\\[nr])*(?:-----END [A-Z0-9 ]*PRIVATE KEY-----)?/g, CENSOR],
  [/AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+/g, CENSOR],
  [/\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g, CENSOR],
  // A credential after Bearer/Basic has a digit, + or / in it, or is long; "Bearer challenge"
  // and "basic auth" in an error message are left readable.
  [/\b(Bearer|Basic)\s+(?:(?=[A-Za-z0-9._~+/-]*[0-9+/])[A-Za-z0-9._~+/-]{6,}|[A-Za-z0-9._~+/-]{16,})=*/gi, `$1 ${CENSOR}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'\\]+@/gi, `$1${CENSOR}@`],
  [
    /\b((?:access[-_]?|refresh[-_]?|id[-_]?|auth[-_]?|client[-_]?)?(?:password|passwd|token|secret|api[-_]?key)=)[^\s&"'\\;,]+/gi,
    `$1${CENSOR}`,
  ],
];

/** `text` with every secret-shaped substring replaced. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, by] of SECRET_SHAPES) out = out.replace(re, by);
  return out;
}

/** A copy of `value` with the values of secret keys replaced, at any depth. */
export function redactKeys(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  if (value instanceof Error) {
    // pino's own error form (type, message and stack with causes, own properties), then walked:
    // error properties such as a request's headers are where credentials hide.
    return redactKeys({ ...stdSerializers.err(value) }, depth, seen);
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactKeys(v, depth + 1, seen));
  if (value instanceof Map) return redactKeys(Object.fromEntries(value), depth, seen);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redactKeys(toJSON.call(value), depth, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined ? CENSOR : redactKeys(v, depth + 1, seen);
  return out;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const logger = pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { app: 'gitops-seal' },
      formatters: {
        bindings: (b) => redactKeys(b) as Record<string, unknown>,
        log: (o) => redactKeys(o) as Record<string, unknown>,
      },
      // Errors were already turned into plain objects above; serializing them again would
      // report their type as "Object".
      serializers: { err: (e: unknown) => e },
      hooks: { streamWrite: scrubSecrets },
    },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination(1),
  );
  // pino applies formatters.bindings to the root's bindings only (children get an identity
  // formatter), so child bindings are redacted here; children inherit this method.
  type ChildFn = (this: Logger, bindings: Record<string, unknown>, options?: unknown) => Logger;
  const pinoChild = logger.child as unknown as ChildFn;
  const redactingChild: ChildFn = function (bindings, options) {
    return pinoChild.call(this, redactKeys(bindings) as Record<string, unknown>, options);
  };
  (logger as unknown as { child: ChildFn }).child = redactingChild;
  return logger;
}

export type { Logger };
