// The daemon client's handling of URLs and of answers the real daemon never gives (a server that
// hangs, something that is not a gitops-seal daemon). The real daemon is exercised in
// test/e2e/cli-status.int.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from './errors.js';
import { daemonUrl, DaemonUnreachableError, DEFAULT_DAEMON_URL, getStatus, parseTimeout, requestReconcile } from './daemon-client.js';
import { runCaptured, type RunResult } from '../test/support/cli-capture.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A local HTTP server answering every request with `handler` (`undefined`: never answer). */
async function serve(handler: ((path: string) => { status: number; type: string; body: string }) | undefined): Promise<string> {
  const server = createServer((req, res) => {
    if (!handler) return; // hold the request open
    const a = handler(req.url ?? '/');
    res.writeHead(a.status, { 'content-type': a.type });
    res.end(a.body);
  });
  server.on('connection', (s) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runCaptured(args, { env, cwd: '/' });
}

describe('daemonUrl', () => {
  it('takes --url, then GITOPS_SEAL_URL, then the default listen address; no trailing slash', () => {
    expect(daemonUrl('http://10.0.0.1:9000/', { GITOPS_SEAL_URL: 'http://x:1' })).toBe('http://10.0.0.1:9000');
    expect(daemonUrl(undefined, { GITOPS_SEAL_URL: 'https://d.example/' })).toBe('https://d.example');
    expect(daemonUrl(undefined, { GITOPS_SEAL_URL: '' })).toBe(DEFAULT_DAEMON_URL);
    expect(daemonUrl(undefined, {})).toBe('http://127.0.0.1:9797');
  });

  it('refuses what is not an http(s) URL as a usage error, without echoing credentials', () => {
    expect(() => daemonUrl('localhost:9797', {})).toThrow(/only http:\/\/ and https:\/\//);
    expect(() => daemonUrl('not a url', {})).toThrow(/invalid daemon URL/);
    let msg = '';
    try {
      daemonUrl('ftp://me:hunter2@host/', {});
    } catch (err) {
      msg = (err as Error).message;
      expect((err as { exitCode?: number }).exitCode).toBe(ExitCode.USAGE);
    }
    expect(msg).toContain('ftp://host/');
    expect(msg).not.toContain('hunter2');
  });
});

describe('parseTimeout', () => {
  it('reads Go durations and refuses zero, negative and unit-less values', () => {
    expect(parseTimeout('5s')).toBe(5000);
    expect(parseTimeout('1m30s')).toBe(90_000);
    expect(() => parseTimeout('0')).toThrow(/positive/);
    expect(() => parseTimeout('-1s')).toThrow(/positive/);
    expect(() => parseTimeout('10')).toThrow(/missing unit/);
  });
});

describe('talking to something that is not a healthy daemon', () => {
  it('a server that never answers: exit 8 after --timeout, naming the URL and the timeout', async () => {
    const url = await serve(undefined);
    const t0 = Date.now();
    const r = await cli(['status', '--url', url, '--timeout', '300ms']);
    expect(r.code).toBe(ExitCode.REMOTE);
    expect(r.err).toBe(`gitops-seal: cannot reach the gitops-seal daemon at ${url}: no answer within 0.3s (timeout; see --timeout)\n`);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a web server without /status, or with another JSON document: exit 8, "not a gitops-seal daemon"', async () => {
    const html = await serve(() => ({ status: 404, type: 'text/html', body: '<h1>nope</h1>' }));
    await expect(getStatus(html, 2000)).rejects.toThrow(
      `cannot reach the gitops-seal daemon at ${html}: GET /status answered 404 (not a gitops-seal daemon?)`,
    );
    const other = await serve(() => ({ status: 200, type: 'application/json', body: '{"status":"ok"}' }));
    await expect(getStatus(other, 2000)).rejects.toThrow(/did not return a gitops-seal status document/);
    const broken = await serve(() => ({ status: 200, type: 'application/json', body: '{"syncs": [' }));
    await expect(getStatus(broken, 2000)).rejects.toBeInstanceOf(DaemonUnreachableError);
    const r = await cli(['status'], { GITOPS_SEAL_URL: other });
    expect(r.code).toBe(ExitCode.REMOTE);
    expect(r.err).toContain(other);
  });

  it('POST /reconcile: 202 accepted, "no such sync" 404 is false, the catch-all 404 is an error', async () => {
    const url = await serve((path) =>
      path === '/reconcile/ok'
        ? { status: 202, type: 'application/json', body: '{"accepted":true}' }
        : path === '/reconcile/missing'
          ? { status: 404, type: 'application/json', body: '{"error":"no such sync"}' }
          : { status: 404, type: 'application/json', body: '{"error":"not found"}' },
    );
    expect(await requestReconcile(url, 'ok', 2000)).toBe(true);
    expect(await requestReconcile(url, 'missing', 2000)).toBe(false);
    await expect(requestReconcile(url, 'x/y', 2000)).rejects.toThrow(/POST \/reconcile\/x\/y answered 404: not found/);
  });

  it('reconcile --wait: an attempt that never happens ends at --timeout with exit 1, naming the source error', async () => {
    // What a daemon whose source cannot be fetched looks like: the request is accepted, the
    // sync's lastAttemptAt never moves, the source reports why.
    const status = {
      startedAt: new Date().toISOString(),
      leader: true,
      syncs: [{ name: 'apps', source: 'src', objects: 0, driftCorrections: 0, ready: false }],
      sources: [
        {
          name: 'src',
          url: 'https://git.example/r.git',
          fetches: 3,
          skippedFetches: 0,
          lastError: { message: 'git fetch: 401 Unauthorized', at: new Date().toISOString() },
        },
      ],
      images: [],
      imageUpdates: [],
      registries: {},
    };
    const url = await serve((path) =>
      path === '/status'
        ? { status: 200, type: 'application/json', body: JSON.stringify(status) }
        : { status: 202, type: 'application/json', body: '{"accepted":true}' },
    );
    const t0 = Date.now();
    const r = await cli(['reconcile', '--sync', 'apps', '--url', url, '--wait', '--timeout', '700ms']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.err).toBe(
      'gitops-seal: sync "apps": no finished reconcile within 0.7s; source "src" last error: git fetch: 401 Unauthorized\n',
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
