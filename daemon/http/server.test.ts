import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from './server.js';

let srv: HttpServer;
let closed = 0;
beforeAll(async () => {
  srv = await startHttpServer('127.0.0.1:0', [
    {
      routes: [
        {
          method: 'GET',
          path: '/metrics',
          handle: async () => ({ status: 200, text: 'custom 1\n', contentType: 'text/plain; version=0.0.4' }),
        },
        { method: 'GET', path: '/doc', handle: () => ({ status: 200, json: { a: [1] } }) },
        { method: 'GET', path: '/text', handle: () => ({ status: 503, text: 'not yet' }) },
        {
          method: 'POST',
          path: '/boom/:name',
          handle: () => {
            throw new Error('internal detail that must not leak');
          },
        },
        {
          method: 'POST',
          path: '/echo/:name',
          readBody: true,
          handle: ({ name, body }) => ({ status: 202, json: { name, body: body.toString('utf8') } }),
        },
      ],
      open: () => () => void closed++,
    },
  ]);
});
afterAll(async () => {
  await srv.close();
});

describe('startHttpServer', () => {
  it('serves what the routes answer: text with its content type, pretty JSON', async () => {
    const m = await fetch(`${srv.url}/metrics`);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await m.text()).toBe('custom 1\n');
    const d = await fetch(`${srv.url}/doc`);
    expect(d.headers.get('content-type')).toBe('application/json');
    expect(await d.text()).toBe(JSON.stringify({ a: [1] }, null, 2));
    const t = await fetch(`${srv.url}/text`);
    expect([t.status, t.headers.get('content-type'), await t.text()]).toEqual([503, 'text/plain; charset=utf-8', 'not yet']);
  });

  it('answers 404 JSON for unknown paths and methods, ignoring the query string', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/doc'],
      ['DELETE', '/doc'],
      ['POST', '/echo/'],
      ['POST', '/echo/a/b'],
    ] as const) {
      const r = await fetch(`${srv.url}${path}`, { method });
      expect([method, path, r.status, await r.json()]).toEqual([method, path, 404, { error: 'not found' }]);
    }
    expect((await fetch(`${srv.url}/doc?x=1`)).status).toBe(200);
  });

  it('hands a body route the decoded name and the body', async () => {
    const r = await fetch(`${srv.url}/echo/a%2Fb`, { method: 'POST', body: 'hello' });
    expect([r.status, await r.json()]).toEqual([202, { name: 'a/b', body: 'hello' }]);
  });

  it('a route that throws is a 500 without its cause', async () => {
    const r = await fetch(`${srv.url}/boom/x`, { method: 'POST' });
    expect(r.status).toBe(500);
    expect(await r.text()).not.toContain('internal detail');
  });

  it("runs the route sets' open() while up and their cleanup on close", async () => {
    const other = await startHttpServer('127.0.0.1:0', [{ routes: [], open: () => () => void closed++ }]);
    const before = closed;
    await other.close();
    expect(closed).toBe(before + 1);
  });

  it('refuses to start on a route table with a duplicate', async () => {
    const r = { method: 'GET' as const, path: '/x', handle: () => ({ status: 200, text: '' }) };
    await expect(startHttpServer('127.0.0.1:0', [{ routes: [r] }, { routes: [r] }])).rejects.toThrow('given twice');
  });
});
