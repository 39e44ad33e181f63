// HTTP client for a running gitops-seal-daemon's endpoints (`GET /status`,
// `POST /reconcile/<sync>`), for `gitops-seal status` and `gitops-seal reconcile`.
//
// Every failure to talk to the daemon is one CliError with exit 8 that names the URL and the
// cause (connection refused, timeout, not a gitops-seal daemon), so a script can tell "the
// daemon is down" from "a sync is failing" (exit 1).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InvalidArgumentError, Option } from 'commander';
import { DurationError, parseDuration } from '../daemon/config/duration.js';
import { stripUserinfo } from '../daemon/git/credentials.js';
import type { DaemonStatus, SourceStatus, SyncStatus } from '../daemon/status/index.js';
import { CliError, ExitCode, UsageError } from './errors.js';

/** The daemon's default `spec.listen` (daemon/config/types.ts DEFAULT_LISTEN) as a URL. */
export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:9797';
export const DAEMON_URL_ENV = 'GITOPS_SEAL_URL';

/** --url, else $GITOPS_SEAL_URL, else the daemon's default listen address. No trailing slash. */
export function daemonUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? (env[DAEMON_URL_ENV] || DEFAULT_DAEMON_URL);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`invalid daemon URL "${stripUserinfo(raw)}" (expected e.g. ${DEFAULT_DAEMON_URL})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`invalid daemon URL "${stripUserinfo(raw)}": only http:// and https:// are supported`);
  }
  return u.toString().replace(/\/+$/, '');
}

/** commander argParser for Go-style durations ("5s", "1m30s"); positive only. */
export function parseTimeout(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof DurationError ? err.message : String(err));
  }
  if (ms <= 0) throw new InvalidArgumentError(`must be positive, got "${value}"`);
  return ms;
}

/** --url, shared with `reconcile`. */
export function urlOption(): Option {
  return new Option('--url <url>', 'daemon endpoint (default: $GITOPS_SEAL_URL, else http://127.0.0.1:9797)');
}

/** The daemon could not be asked: not listening, timed out, or something else answered. */
export class DaemonUnreachableError extends CliError {
  constructor(url: string, cause: string) {
    super(`cannot reach the gitops-seal daemon at ${stripUserinfo(url)}: ${cause}`, ExitCode.REMOTE);
  }
}

const NET_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary DNS failure',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};
const HINT = 'is gitops-seal-daemon running and listening there? (--url, GITOPS_SEAL_URL)';

function errorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError of both attempts.
  const errors = (err as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errorCode(errors[0]) : undefined;
}

/** The request ran out of time (our own timer, see call()). */
class RequestTimeout extends Error {}

/** A one-line cause for a failed request. */
export function describeRequestError(err: unknown, timeoutMs: number): string {
  if (err instanceof RequestTimeout) return `no answer within ${timeoutMs / 1000}s (timeout; see --timeout)`;
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return `${NET_CAUSES[code]} (${code}); ${HINT}`;
  if (code !== undefined && NET_CAUSES[code]) return `${NET_CAUSES[code]} (${code})`;
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n', 1)[0] ?? '') || code || 'unknown error';
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * One HTTP exchange with node:http (not fetch: fetch refuses the "bad ports" of the Fetch
 * standard, and a daemon may well listen on one). `timeoutMs` bounds the whole exchange.
 */
function exchange(url: URL, method: 'GET' | 'POST', timeoutMs: number): Promise<Answer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    const req = send(url, { method, headers: { accept: 'application/json', 'content-length': 0 }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
        else chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new RequestTimeout()), timeoutMs);
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}

/** /status of a daemon with many syncs and images stays far below this. */
const MAX_BODY = 32 << 20;

async function call(base: string, method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let answer: Answer;
  try {
    answer = await exchange(new URL(`${base}${path}`), method, timeoutMs);
  } catch (err) {
    throw new DaemonUnreachableError(base, describeRequestError(err, timeoutMs));
  }
  let body: unknown = answer.text;
  if (answer.contentType.includes('application/json')) {
    try {
      body = JSON.parse(answer.text) as unknown;
    } catch {
      throw new DaemonUnreachableError(base, `${method} ${path} answered ${answer.status} with invalid JSON (not a gitops-seal daemon?)`);
    }
  }
  return { status: answer.status, body };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `GET /status`, checked for the fields the CLI reads. The whole document is kept as sent
 * (`-o json` prints it unchanged, including fields newer daemons add).
 */
export type StatusDocument = Omit<DaemonStatus, 'images' | 'imageUpdates'> & {
  /** Read field by field (status-view.ts): a daemon that adds or drops a field still renders. */
  images: unknown[];
  imageUpdates: unknown[];
} & Record<string, unknown>;

export async function getStatus(base: string, timeoutMs: number): Promise<StatusDocument> {
  const { status, body } = await call(base, 'GET', '/status', timeoutMs);
  if (status !== 200) throw new DaemonUnreachableError(base, `GET /status answered ${status} (not a gitops-seal daemon?)`);
  if (!isRecord(body) || !Array.isArray(body['syncs']) || !Array.isArray(body['sources'])) {
    throw new DaemonUnreachableError(base, 'GET /status did not return a gitops-seal status document (no syncs/sources)');
  }
  const named = (x: unknown): boolean => isRecord(x) && typeof x['name'] === 'string';
  if (!(body['syncs'] as unknown[]).every(named) || !(body['sources'] as unknown[]).every(named)) {
    throw new DaemonUnreachableError(base, 'GET /status: a sync or source entry has no name');
  }
  for (const key of ['images', 'imageUpdates'] as const) if (!Array.isArray(body[key])) body[key] = [];
  return body as StatusDocument;
}

export function findSync(doc: StatusDocument, name: string): SyncStatus | undefined {
  return doc.syncs.find((s) => s.name === name);
}

export function findSource(doc: StatusDocument, name: string): SourceStatus | undefined {
  return doc.sources.find((s) => s.name === name);
}

/** exit 2: the daemon has no sync of that name. */
export class UnknownSyncError extends CliError {
  constructor(url: string, name: string, known: readonly string[]) {
    super(`the daemon at ${stripUserinfo(url)} has no sync named "${name}" (syncs: ${known.join(', ') || 'none'})`, ExitCode.USAGE);
  }
}

/** `POST /reconcile/<sync>`: true when accepted (202), false when the daemon has no such sync (404). */
export async function requestReconcile(base: string, sync: string, timeoutMs: number): Promise<boolean> {
  const { status, body } = await call(base, 'POST', `/reconcile/${encodeURIComponent(sync)}`, timeoutMs);
  if (status === 202) return true;
  if (status === 404 && isRecord(body) && body['error'] === 'no such sync') return false;
  // Any other 404 is the catch-all route: a daemon without the endpoint, or another server.
  const why = isRecord(body) && typeof body['error'] === 'string' ? `: ${body['error']}` : '';
  throw new DaemonUnreachableError(base, `POST /reconcile/${sync} answered ${status}${why}`);
}

/**
 * `GET /keys`: the daemon's published cluster key (issue 16), unchecked; undefined when the
 * daemon answers 404 (no cluster key configured, or a daemon without the endpoint).
 */
export async function getClusterKeys(base: string, timeoutMs: number): Promise<unknown> {
  const { status, body } = await call(base, 'GET', '/keys', timeoutMs);
  if (status === 404) return undefined;
  // The daemon answered but has no key to give yet (its leader creates it) or cannot read it.
  if (status === 503 && isRecord(body) && typeof body['error'] === 'string') {
    throw new CliError(`${stripUserinfo(base)}/keys: the daemon has no cluster key to give: ${body['error']}`, ExitCode.REMOTE);
  }
  if (status !== 200) {
    const why = isRecord(body) && typeof body['error'] === 'string' ? `: ${body['error']}` : '';
    throw new DaemonUnreachableError(base, `GET /keys answered ${status}${why}`);
  }
  if (!isRecord(body)) throw new DaemonUnreachableError(base, 'GET /keys did not return a JSON object (not a gitops-seal daemon?)');
  return body;
}
