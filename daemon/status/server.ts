// The daemon's HTTP endpoints: GET /status (JSON), /healthz, /readyz, /metrics (Prometheus),
// and POST /hooks/<source> for webhook-triggered fetches. A webhook with a missing or bad
// signature gets 401 and triggers nothing. Bodies are capped so a hostile sender cannot exhaust
// memory.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsText, watchStatus } from '../metrics/index.js';
import { verifyWebhook, type WebhookType } from '../webhook/verify.js';
import type { StatusStore } from './status.js';

const MAX_BODY = 1 << 20;
/**
 * How long the rest of a refused body is read (and dropped) after the 413 before the
 * connection is cut: closing a socket with unread data makes the kernel send a reset, which can
 * destroy the 413 before the sender reads it. A sender still writing after this gets the reset.
 */
const DRAIN_MS = 5_000;

export interface HookTarget {
  type: WebhookType;
  secret: () => Promise<string>;
  trigger: () => void;
}

export interface ServerDeps {
  status: StatusStore;
  hooks: Map<string, HookTarget>;
  /** Extra GET routes; one for /metrics replaces the process registry's exposition. */
  routes?: Map<string, () => Promise<{ contentType: string; body: string }>>;
  /** POST /reconcile/<sync>: trigger a sync now. */
  reconcile?: (sync: string) => boolean;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
  res.end(text);
}

/** A Content-Length over the limit: refused before a byte of the body is read. */
function declaredTooLarge(req: IncomingMessage): boolean {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n > MAX_BODY;
}

/** The body, 'too-large' past MAX_BODY (the rest is then read and dropped), undefined if the sender went away. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | undefined> {
  if (declaredTooLarge(req)) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size <= MAX_BODY) {
        chunks.push(c);
        return;
      }
      chunks.length = 0;
      req.off('data', onData);
      resolve('too-large');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * 413, then a clean close. When the body is already on its way, the answer keeps the
 * connection open while Node reads and drops the rest (then we close: a FIN after everything
 * was read, no reset); `Connection: close` would make Node destroy the socket with the body
 * unread. Without a body on its way (Expect: 100-continue) the answer closes at once.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, bodyOnItsWay: boolean): void {
  const sock = req.socket;
  res.writeHead(413, {
    'content-type': 'application/json',
    ...(bodyOnItsWay ? {} : { connection: 'close' }),
  });
  res.end(JSON.stringify({ error: `body too large (limit ${MAX_BODY} bytes)` }, null, 2));
  if (!bodyOnItsWay) return;
  req.resume();
  const cut = setTimeout(() => sock.destroy(), DRAIN_MS);
  cut.unref();
  sock.once('close', () => clearTimeout(cut));
  const close = (): void => {
    clearTimeout(cut);
    sock.end();
  };
  if (req.complete) res.once('finish', close);
  else req.once('end', close);
}

/** A path segment as a name; malformed %-escapes name nothing (404), they are not a server error. */
function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok');
  if (req.method === 'GET' && path === '/readyz') return deps.status.ready() ? send(res, 200, 'ok') : send(res, 503, 'not ready: no revision applied yet');
  if (req.method === 'GET' && path === '/status') return send(res, 200, deps.status.snapshot());
  const route = req.method === 'GET' ? deps.routes?.get(path) : undefined;
  if (route) {
    const r = await route();
    res.writeHead(200, { 'content-type': r.contentType });
    res.end(r.body);
    return;
  }
  if (req.method === 'GET' && path === '/metrics') {
    const m = await metricsText();
    res.writeHead(200, { 'content-type': m.contentType });
    res.end(m.body);
    return;
  }
  const hook = /^\/hooks\/([^/]+)$/.exec(path);
  if (req.method === 'POST' && hook?.[1]) {
    const target = deps.hooks.get(decodeName(hook[1]));
    const body = await readBody(req);
    if (body === 'too-large') return refuseTooLarge(req, res, true);
    if (!target) return send(res, 404, { error: 'no webhook for this source' });
    if (body === undefined) return; // the sender went away: no one to answer
    let ok = false;
    try {
      ok = verifyWebhook(target.type, await target.secret(), req.headers, body);
    } catch {
      ok = false;
    }
    if (!ok) return send(res, 401, { error: 'invalid or missing signature' });
    target.trigger();
    return send(res, 202, { accepted: true });
  }
  const rec = /^\/reconcile\/([^/]+)$/.exec(path);
  if (req.method === 'POST' && rec?.[1] && deps.reconcile) {
    const sync = decodeName(rec[1]);
    return sync !== '' && deps.reconcile(sync) ? send(res, 202, { accepted: true }) : send(res, 404, { error: 'no such sync' });
  }
  send(res, 404, { error: 'not found' });
}

export async function startServer(listen: string, deps: ServerDeps): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(listen.slice(idx + 1));
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handle(deps, req, res).catch(() => send(res, 500, { error: 'internal error' }));
  };
  const server = createServer(serve);
  // Expect: 100-continue — a body already known to be too large is refused before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredTooLarge(req)) return refuseTooLarge(req, res, false);
    res.writeContinue();
    serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // This store's syncs are exported at /metrics while the server is up.
  const unwatch = watchStatus(deps.status);
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        unwatch();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
