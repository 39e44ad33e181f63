// A loopback HTTP proxy that injects faults in front of a REAL server (the git http-backend
// wrapper, the distribution registry): it forwards every request unchanged unless a rule
// says otherwise. It is not a fake of anything — every answer that is not an injected fault
// comes from the real server behind it.
//
// Faults:
//   - rules: answer a share of matching requests with a status (429 + Retry-After, 500, …),
//     either instead of forwarding or after forwarding (the server did the work, the client
//     never learns it: the "lost response" case that makes retries dangerous);
//   - a script: a function that decides per request — answer it instead of the server, forward
//     it, or forward it and edit the server's answer (a corrupted body, a rewritten header);
//   - down(): close the listening socket and every open connection (clients get ECONNREFUSED),
//     up(): listen again on the same port.
// The fault-injection tests (test/reliability/faults-*) and the registry client's tests
// (daemon/images/registry.int.test.ts) share it: there is one fault proxy.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

export interface FaultRule {
  /** Which requests the rule applies to (default: all). */
  match?: (req: { method: string; path: string }) => boolean;
  /** Fraction of matching requests that get the fault, 0..1. */
  share: number;
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Forward first and throw the real answer away (the server applied the request). */
  afterForward?: boolean;
}

export interface ProxyCounts {
  /** Requests answered by the real server. */
  forwarded: number;
  /** Injected answers by status. */
  injected: Record<number, number>;
  /** Injected answers whose request the server had already processed (afterForward). */
  swallowed: number;
}

export interface InjectedFault {
  at: number;
  method: string;
  path: string;
  status: number;
}

/** A request the proxy answered (forwarded or injected): when it arrived and the status sent. */
export type AnsweredRequest = InjectedFault;

/** A whole answer, body buffered (what a script returns or edits). */
export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * What a script does with one request: answer it instead of the server, `'forward'` it
 * untouched, or forward it and return a function that edits the server's answer.
 */
export type FaultScript = (req: {
  method: string;
  path: string;
}) => ProxiedResponse | 'forward' | ((upstream: ProxiedResponse) => ProxiedResponse);

/** mulberry32: a tiny seeded PRNG, so a fault schedule can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultProxy {
  readonly counts: ProxyCounts = { forwarded: 0, injected: {}, swallowed: 0 };
  /** Every injected fault in order (bounded by the tests' short runs). */
  readonly log: InjectedFault[] = [];
  /** Every answered request in order, forwarded or injected (also bounded by short runs). */
  readonly requests: AnsweredRequest[] = [];
  private rules: FaultRule[] = [];
  private script: FaultScript | undefined;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;

  private constructor(
    private readonly target: URL,
    readonly port: number,
    seed: number,
    /** An https target's CA (PEM): the proxy speaks plain HTTP to its clients and TLS upstream (the apiserver). */
    private readonly upstreamCa?: string,
  ) {
    this.random = seededRandom(seed);
    this.server = this.newServer();
  }

  private request(opts: RequestOptions, cb: (res: IncomingMessage) => void): ReturnType<typeof httpRequest> {
    if (this.target.protocol !== 'https:') return httpRequest(opts, cb);
    // The upstream Host header must name the upstream (TLS SNI and the apiserver's checks).
    const headers = { ...opts.headers, host: this.target.host };
    return httpsRequest({ ...opts, headers, ...(this.upstreamCa ? { ca: this.upstreamCa } : {}) }, cb);
  }

  /** Start on a free loopback port (or `port`), forwarding to `target` (http://host:port, or https with `upstreamCa`). */
  static async start(target: string, opts: { seed?: number; port?: number; upstreamCa?: string } = {}): Promise<FaultProxy> {
    const probe = createServer();
    const port =
      opts.port ??
      (await new Promise<number>((ok, fail) => {
        probe.once('error', fail);
        probe.listen(0, '127.0.0.1', () => {
          const a = probe.address();
          probe.close(() => (a && typeof a === 'object' ? ok(a.port) : fail(new Error('no port'))));
        });
      }));
    const p = new FaultProxy(new URL(target), port, opts.seed ?? 1, opts.upstreamCa);
    await p.up();
    return p;
  }

  /** host:port of the proxy (for image references). */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  /** Replace the fault rules (first matching rule whose dice hit wins). */
  setFaults(rules: FaultRule[]): void {
    this.rules = rules;
  }

  /** Decide every request with `script` (rules are not consulted while one is set); undefined ends it. */
  setScript(script: FaultScript | undefined): void {
    this.script = script;
  }

  clearFaults(): void {
    this.rules = [];
    this.script = undefined;
  }

  injectedTotal(): number {
    return Object.values(this.counts.injected).reduce((a, b) => a + b, 0);
  }

  /** Listen (again) on the same port. */
  async up(): Promise<void> {
    if (this.server.listening) return;
    this.server = this.newServer();
    await new Promise<void>((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(this.port, '127.0.0.1', () => ok());
    });
  }

  /** Stop listening and cut every open connection: the server is "down" (ECONNREFUSED). */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((ok) => this.server.close(() => ok()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  stop(): Promise<void> {
    return this.down();
  }

  private newServer(): Server {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.keepAliveTimeout = 1000;
    return server;
  }

  private pick(method: string, path: string): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.match && !r.match({ method, path })) continue;
      if (this.random() < r.share) return r;
    }
    return undefined;
  }

  private inject(rule: FaultRule, method: string, path: string, res: ServerResponse, at = Date.now()): void {
    this.counts.injected[rule.status] = (this.counts.injected[rule.status] ?? 0) + 1;
    this.log.push({ at, method, path, status: rule.status });
    this.requests.push({ at, method, path, status: rule.status });
    if (res.headersSent || res.destroyed) return;
    res.writeHead(rule.status, { 'Content-Type': 'text/plain', Connection: 'close', ...(rule.headers ?? {}) });
    res.end(rule.body ?? `injected fault ${rule.status}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (this.script) {
      this.scripted(this.script, req, res);
      return;
    }
    const at = Date.now();
    const rule = this.pick(method, path);
    if (rule && !rule.afterForward) {
      req.resume();
      this.inject(rule, method, path, res);
      return;
    }
    const upstream = this.request(
      { host: this.target.hostname, port: this.target.port, method, path, headers: req.headers },
      (up: IncomingMessage) => {
        if (rule?.afterForward) {
          // Let the server finish its work, then pretend it failed.
          up.resume();
          up.once('end', () => {
            this.counts.swallowed++;
            this.inject(rule, method, path, res, at);
          });
          return;
        }
        this.counts.forwarded++;
        this.requests.push({ at, method, path, status: up.statusCode ?? 502 });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      this.requests.push({ at, method, path, status: 502 });
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`fault proxy: upstream ${this.target.host} failed: ${err.message}\n`);
    });
    req.pipe(upstream);
  }

  /** A request decided by the script: the whole answer is buffered so that it can be edited. */
  private scripted(script: FaultScript, req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const decision = script({ method, path });
    const send = (r: ProxiedResponse, injected: boolean): void => {
      this.requests.push({ at, method, path, status: r.status });
      if (injected) {
        this.counts.injected[r.status] = (this.counts.injected[r.status] ?? 0) + 1;
        this.log.push({ at, method, path, status: r.status });
      } else this.counts.forwarded++;
      if (res.headersSent || res.destroyed) return;
      res.writeHead(r.status, r.headers);
      res.end(method === 'HEAD' ? undefined : r.body);
    };
    if (typeof decision === 'object') {
      req.resume();
      send(decision, true);
      return;
    }
    const upstream = this.request({ host: this.target.hostname, port: this.target.port, method, path, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        // Framing headers describe the original body; Node sets them again for the one sent.
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (v === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection') continue;
          headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const answer: ProxiedResponse = { status: up.statusCode ?? 502, headers, body: Buffer.concat(chunks) };
        if (typeof decision === 'function') send(decision(answer), true);
        else send(answer, false);
      });
    });
    upstream.on('error', (err) =>
      send(
        {
          status: 502,
          headers: { 'Content-Type': 'text/plain' },
          body: Buffer.from(`fault proxy: upstream ${this.target.host} failed: ${err.message}\n`),
        },
        false,
      ),
    );
    req.pipe(upstream);
  }
}
