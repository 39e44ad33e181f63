// The one fault proxy forwards untouched, injects by rule (seeded share, before or after the
// server did the work), follows a script (answer, forward, edit the answer) and goes down/up on
// the same port — checked against a plain node:http server behind it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

describe('FaultProxy', () => {
  let upstream: Server;
  let proxy: FaultProxy;
  let served = 0;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      served++;
      res.setHeader('link', '<next>; rel="next"');
      res.end(`hello ${req.url}`);
    });
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    proxy = await FaultProxy.start(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, { seed: 3 });
  });
  afterAll(async () => {
    await proxy.stop();
    await new Promise((ok) => upstream.close(ok));
  });

  const get = async (path: string): Promise<[number, string | null, string]> => {
    const r = await fetch(`${proxy.url}${path}`);
    return [r.status, r.headers.get('link'), await r.text()];
  };

  it('forwards, injects by rule and counts both', async () => {
    expect(await get('/a')).toEqual([200, '<next>; rel="next"', 'hello /a']);
    proxy.setFaults([{ share: 1, status: 429, headers: { 'Retry-After': '1' }, match: (r) => r.path === '/b' }]);
    const before = served;
    const r = await fetch(`${proxy.url}/b`);
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, '1']);
    expect(served).toBe(before);
    proxy.setFaults([{ share: 1, status: 500, afterForward: true }]);
    expect((await get('/c'))[0]).toBe(500);
    expect(served).toBe(before + 1);
    proxy.clearFaults();
    expect(proxy.counts).toMatchObject({ forwarded: 1, injected: { 429: 1, 500: 1 }, swallowed: 1 });
    expect(proxy.log.map((l) => [l.path, l.status])).toEqual([
      ['/b', 429],
      ['/c', 500],
    ]);
  });

  it('follows a script: answers instead, forwards, or edits the server answer', async () => {
    const from = proxy.requests.length;
    proxy.setScript((req) =>
      req.path === '/x'
        ? { status: 503, headers: { 'retry-after': '2' }, body: Buffer.from('busy') }
        : req.path === '/y'
          ? (up) => ({ ...up, headers: { ...up.headers, link: '<loop>; rel="next"' }, body: up.body.subarray(0, 5) })
          : 'forward',
    );
    expect(await get('/x')).toEqual([503, null, 'busy']);
    expect(await get('/y')).toEqual([200, '<loop>; rel="next"', 'hello']);
    expect(await get('/z')).toEqual([200, '<next>; rel="next"', 'hello /z']);
    expect(proxy.requests.slice(from).map((r) => [r.path, r.status])).toEqual([
      ['/x', 503],
      ['/y', 200],
      ['/z', 200],
    ]);
    proxy.setScript(undefined);
  });

  it('goes down (connection refused) and up again on the same port', async () => {
    await proxy.down();
    await expect(fetch(`${proxy.url}/d`)).rejects.toThrow();
    await proxy.up();
    expect((await get('/e'))[2]).toBe('hello /e');
  });
});
