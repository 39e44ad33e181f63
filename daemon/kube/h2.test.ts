// KubeClient's transports against real local TLS servers (no apiserver needed): HTTP/2 when
// ALPN offers it (one session for concurrent requests, bounded streams), HTTP/1.1 fallback
// when it does not, reconnection after the server closes the session, watches on HTTP/1.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { KubeApiError, KubeTransportError } from './errors.js';
import { H2Transport } from './h2.js';

let dir: string;
let cert: string;
let key: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gitops-seal-h2-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  version: string;
  method: string;
  path: string;
  auth: string | undefined;
  body: string;
}

/** A JSON echo server; `/missing` answers 404 Status, `/slow` answers after 50 ms. */
function handler(seen: Seen[], inflight: { now: number; max: number }) {
  return (
    req: http2.Http2ServerRequest | import('node:http').IncomingMessage,
    res: http2.Http2ServerResponse | import('node:http').ServerResponse,
  ): void => {
    const chunks: Buffer[] = [];
    inflight.now++;
    inflight.max = Math.max(inflight.max, inflight.now);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        version: req.httpVersion,
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      const reply = (): void => {
        inflight.now--;
        if (s.path.startsWith('/missing')) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not here' }));
          return;
        }
        if (s.path.startsWith('/watch')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"type":"ADDED","object":{"kind":"ConfigMap"}}\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(s));
      };
      if (s.path.startsWith('/slow')) setTimeout(reply, 50);
      else reply();
    });
  };
}

async function listen(server: https.Server | http2.Http2SecureServer): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function client(server: string, maxSockets = 32): Promise<KubeClient> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from(cert).toString('base64') }],
    users: [{ name: 'u', token: 'tok-123' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return KubeClient.fromKubeConfig(kc, { maxSockets });
}

describe('KubeClient transports', () => {
  it('multiplexes concurrent requests on one HTTP/2 session, bounded by maxSockets', async () => {
    const seen: Seen[] = [];
    const inflight = { now: 0, max: 0 };
    const server = http2.createSecureServer({ cert, key, allowHTTP1: true }, handler(seen, inflight));
    let sessions = 0;
    server.on('session', () => sessions++);
    const url = await listen(server);
    const c = await client(url, 8);
    try {
      const bodies = Array.from({ length: 40 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } }));
      const answers = await Promise.all(
        bodies.map((b, i) => c.request<Seen>(`/slow/${i}`, { method: 'PATCH', body: b, query: { dryRun: 'All', force: true } })),
      );
      expect(answers.map((a) => a.version)).toEqual(Array(40).fill('2.0'));
      expect(answers[7]).toMatchObject({ method: 'PATCH', path: '/slow/7?dryRun=All&force=true', auth: 'Bearer tok-123' });
      expect(answers.map((a) => JSON.parse(a.body) as unknown)).toEqual(bodies);
      expect(sessions).toBe(1);
      expect(inflight.max).toBeLessThanOrEqual(8);
      expect(inflight.max).toBeGreaterThan(1);
      const err = await c.request('/missing/x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).reason).toBe('NotFound');
      expect(await c.getOptional('/missing/y')).toBeUndefined();
    } finally {
      c.close();
      server.close();
    }
  });

  it('opens a new session after the server closed the previous one', async () => {
    const seen: Seen[] = [];
    const server = http2.createSecureServer({ cert, key }, handler(seen, { now: 0, max: 0 }));
    const live = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => {
      live.add(s);
      s.on('close', () => live.delete(s));
    });
    const url = await listen(server);
    const c = await client(url);
    try {
      expect((await c.request<Seen>('/a')).version).toBe('2.0');
      // Server-side idle close (GOAWAY), as an apiserver or a load balancer does.
      for (const s of live) s.close();
      await new Promise((r) => setTimeout(r, 50));
      expect((await c.request<Seen>('/b')).path).toBe('/b');
      expect(seen.map((s) => s.path)).toEqual(['/a', '/b']);
    } finally {
      c.close();
      server.close();
    }
  });

  it('an answer cut short is an error naming the request, never a truncated object; its text is not quoted', async () => {
    // A LIST answer streamed in pieces; the server drops the connection mid-way (`/cut`) or the
    // client is closed mid-way (`/long`). Node ends the HTTP/2 stream cleanly in both cases.
    const server = http2.createSecureServer({ cert, key }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"SecretList","items":[{"data":{"token":"c2VjcmV0LWNhbmFyeS0xMjM0"');
      let i = 0;
      const t = setInterval(() => {
        if (res.destroyed) return clearInterval(t);
        res.write(`,"k${i}":"${'x'.repeat(16_384)}"`);
        if (++i === 8 && req.url === '/cut') {
          clearInterval(t);
          req.socket.destroy();
        }
      }, 5);
    });
    const url = await listen(server);
    const c = await client(url);
    try {
      const cut = await c.request('/cut').catch((e: unknown) => e);
      expect(cut).toBeInstanceOf(KubeTransportError);
      expect((cut as Error).message).toMatch(
        /^GET \/cut: answer is not valid JSON at byte \d+ \(\d+ bytes: cut short, or not an apiserver\)$/,
      );
      expect((cut as Error).message).not.toContain('c2VjcmV0');
      // close() while an answer streams in: the transport rejects instead of resolving a truncated body.
      const h2 = new H2Transport(new URL(url), { ca: cert }, 4, 5_000);
      const pending = h2.request({ method: 'GET', path: '/long', headers: {}, timeoutMs: 5_000 }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 40));
      h2.close();
      const closed = await pending;
      expect(closed).toBeInstanceOf(Error);
      expect((closed as Error).message).toBe('connection closed before the answer was complete');
    } finally {
      c.close();
      server.close();
    }
  });

  it('a connection that goes silent fails its requests after an unanswered PING; a slow answer on a live one does not', async () => {
    // `/never` is never answered; `/late` after 9 s (past one PING cycle: 3 s + 5 s).
    const server = http2.createSecureServer({ cert, key }, (req, res) => {
      if (req.url === '/late') setTimeout(() => res.end('{"late":true}'), 9_000);
    });
    const upstream = await listen(server);
    // A TCP relay that can freeze: both connections stay open, nothing passes (a dead node, a blackhole).
    const frozen = { now: false };
    const relay = net.createServer((down) => {
      const up = net.connect(Number(new URL(upstream).port), '127.0.0.1');
      down.on('data', (d) => frozen.now || up.write(d));
      up.on('data', (d) => frozen.now || down.write(d));
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const via = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const live = new H2Transport(new URL(upstream), { ca: cert }, 4, 30_000);
    const silent = new H2Transport(new URL(via), { ca: cert }, 4, 30_000);
    try {
      const t0 = Date.now();
      const late = live.request({ method: 'GET', path: '/late', headers: {}, timeoutMs: 30_000 });
      const lost = silent.request({ method: 'GET', path: '/never', headers: {}, timeoutMs: 30_000 }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 500));
      frozen.now = true;
      const err = await lost;
      expect((err as Error).message).toBe('connection lost: the apiserver did not answer an HTTP/2 PING within 5000 ms');
      expect(Date.now() - t0).toBeLessThan(12_000); // not the 30 s request timeout
      expect((await late).body).toBe('{"late":true}');
    } finally {
      live.close();
      silent.close();
      relay.close();
      server.close();
    }
  }, 20_000);

  it('falls back to HTTP/1.1 when ALPN does not offer h2, and watches use HTTP/1.1', async () => {
    const seen: Seen[] = [];
    const server = https.createServer({ cert, key }, handler(seen, { now: 0, max: 0 }));
    const url = await listen(server);
    const c = await client(url);
    try {
      const answers = await Promise.all([1, 2, 3].map((i) => c.request<Seen>(`/x/${i}`, { method: 'POST', body: { i } })));
      expect(answers.map((a) => [a.version, a.body])).toEqual([
        ['1.1', '{"i":1}'],
        ['1.1', '{"i":2}'],
        ['1.1', '{"i":3}'],
      ]);
      const res = await c.stream('/watch');
      const text = await new Promise<string>((r) => {
        let t = '';
        res.on('data', (d: Buffer) => (t += d.toString()));
        res.on('end', () => r(t));
      });
      expect(text).toContain('ADDED');
      expect(seen.at(-1)?.version).toBe('1.1');
    } finally {
      c.close();
      server.close();
    }
  });
});
