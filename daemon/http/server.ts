// The daemon's one HTTP listener (spec.listen): serves a RouteTable. Unknown paths and methods
// get 404 JSON, a route that throws gets 500 without its cause (causes can name internals;
// the owner logs what matters), bodies are read only for routes that ask and are capped.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { declaredTooLarge, readBody, refuseTooLarge } from './body.js';
import { RouteTable, type Reply, type RouteSet } from './routes.js';

export interface HttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, reply: Reply): void {
  if ('stream' in reply) return openStream(res, reply);
  if ('body' in reply) {
    res.writeHead(reply.status, reply.headers as Record<string, string | string[]>);
    res.end(reply.body);
    return;
  }
  if ('json' in reply) {
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.json, null, 2));
    return;
  }
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
  res.end(reply.text);
}

/** A streaming reply: headers now, chunks as the route writes them, closed by either side. */
function openStream(res: ServerResponse, reply: Extract<Reply, { stream: unknown }>): void {
  res.writeHead(reply.status, reply.headers);
  res.flushHeaders();
  let closed = false;
  const onClose: (() => void)[] = [];
  res.on('close', () => {
    if (closed) return;
    closed = true;
    for (const fn of onClose) fn();
  });
  reply.stream({
    write: (chunk) => {
      if (!closed) res.write(chunk);
    },
    end: () => {
      if (closed) return;
      closed = true;
      res.end();
    },
    onClose: (fn) => {
      onClose.push(fn);
    },
  });
}

async function handle(table: RouteTable, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const found = table.match(req.method ?? '', path);
  if (!found) return send(res, { status: 404, json: { error: 'not found' } });
  let body: Buffer = Buffer.alloc(0);
  if (found.route.readBody) {
    const read = await readBody(req);
    if (read === 'too-large') return refuseTooLarge(req, res, true);
    if (read === undefined) return; // the sender went away: no one to answer
    body = read;
  }
  const remoteAddress = req.socket.remoteAddress ?? '';
  send(res, await found.route.handle({ name: found.name, headers: req.headers, body, query: url.searchParams, remoteAddress }));
}

/** Listen on `listen` (host:port; port 0 picks one) and serve the routes `sets` contribute. */
export async function startHttpServer(listen: string, sets: readonly RouteSet[]): Promise<HttpServer> {
  const table = new RouteTable(sets);
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(listen.slice(idx + 1));
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handle(table, req, res).catch(() => send(res, { status: 500, json: { error: 'internal error' } }));
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
  const closers = sets.flatMap((s) => (s.open ? [s.open()] : []));
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of closers) c();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
