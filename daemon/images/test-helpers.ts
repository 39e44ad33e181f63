// Test support: a loopback HTTP proxy in front of a REAL registry that forwards every request and
// lets a test perturb selected ones (429 with Retry-After, 5xx, a corrupted body, a rewritten Link
// header). The registry stays the real thing; the proxy only injects what a healthy local
// registry cannot produce on demand.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FaultContext {
  /** 1-based count of requests seen so far whose path matched the same route kind. */
  n: number;
  method: string;
  /** Path and query as the client sent it. */
  url: string;
}

/**
 * Return a response to send instead of forwarding, `'forward'` to forward untouched, or a
 * function that edits the upstream response.
 */
export type Fault = (ctx: FaultContext) => ProxiedResponse | 'forward' | ((upstream: ProxiedResponse) => ProxiedResponse);

export interface FaultProxy {
  /** host:port of the proxy. */
  host: string;
  setFault(f: Fault | undefined): void;
  /** Requests received, by path kind (tags | manifests | other), and their arrival times. */
  log: { method: string; url: string; at: number; status: number }[];
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let fault: Fault | undefined;
  let n = 0;
  const log: FaultProxy['log'] = [];
  const server = http.createServer((req, res) => {
    const at = Date.now();
    n++;
    const ctx: FaultContext = { n, method: req.method ?? 'GET', url: req.url ?? '/' };
    const decision = fault ? fault(ctx) : 'forward';
    const send = (r: ProxiedResponse): void => {
      log.push({ method: ctx.method, url: ctx.url, at, status: r.status });
      res.writeHead(r.status, r.headers);
      res.end(ctx.method === 'HEAD' ? undefined : r.body);
    };
    if (typeof decision === 'object') {
      send(decision);
      return;
    }
    const headers = { ...req.headers, host: target.host };
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(ur.headers)) {
          if (v === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection') continue;
          h[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const r: ProxiedResponse = { status: ur.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) };
        send(typeof decision === 'function' ? decision(r) : r);
      });
    });
    up.on('error', () => send({ status: 502, headers: {}, body: Buffer.from('proxy: upstream error') }));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    setFault(f) {
      fault = f;
      n = 0;
    },
    log,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
