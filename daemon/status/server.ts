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

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
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
    if (!target) return send(res, 404, { error: 'no webhook for this source' });
    if (body === undefined) return send(res, 413, { error: 'body too large' });
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
  const server = createServer((req, res) => {
    handle(deps, req, res).catch(() => send(res, 500, { error: 'internal error' }));
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
