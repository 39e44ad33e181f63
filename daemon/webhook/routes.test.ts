import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../http/index.js';
import { hookRoutes, pushedHead } from './routes.js';

const SECRET = 'hook-secret';
let srv: HttpServer;
let triggered = 0;
beforeAll(async () => {
  srv = await startHttpServer('127.0.0.1:0', [
    hookRoutes(
      new Map([
        ['repo', { type: 'github' as const, secret: async () => SECRET, trigger: () => void triggered++ }],
        [
          'broken',
          { type: 'generic' as const, secret: () => Promise.reject(new Error('secret unreadable')), trigger: () => void triggered++ },
        ],
      ]),
    ),
  ]);
});
afterAll(async () => {
  await srv.close();
});

const body = '{"ref":"refs/heads/main"}';
const sig = (s: string): string => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
const post = (path: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${srv.url}${path}`, { method: 'POST', headers, body });

describe('POST /hooks/<source>', () => {
  it('a signed request triggers the source: 202', async () => {
    const before = triggered;
    const r = await post('/hooks/repo', { 'X-Hub-Signature-256': sig(SECRET) });
    expect([r.status, await r.json()]).toEqual([202, { accepted: true }]);
    expect(triggered).toBe(before + 1);
  });

  it('a bad or missing signature, or an unreadable secret, is 401 and triggers nothing', async () => {
    const before = triggered;
    for (const [path, headers] of [
      ['/hooks/repo', { 'X-Hub-Signature-256': sig('wrong') }],
      ['/hooks/repo', {}],
      ['/hooks/broken', { 'X-Signature': sig(SECRET) }],
    ] as const) {
      const r = await post(path, headers);
      expect([path, r.status, await r.json()]).toEqual([path, 401, { error: 'invalid or missing signature' }]);
    }
    expect(triggered).toBe(before);
  });

  it('a source without a webhook is 404', async () => {
    const r = await post('/hooks/other', { 'X-Hub-Signature-256': sig(SECRET) });
    expect([r.status, await r.json()]).toEqual([404, { error: 'no webhook for this source' }]);
    expect((await post('/hooks/%zz', {})).status).toBe(404);
  });
});

describe('pushedHead', () => {
  const sha = 'a'.repeat(40);
  it("reads a push payload's ref and new head", () => {
    expect(pushedHead(Buffer.from(JSON.stringify({ ref: 'refs/heads/main', before: 'b'.repeat(40), after: sha })))).toEqual({
      ref: 'refs/heads/main',
      commit: sha,
    });
  });
  it('ignores deletions, other events and anything that is not JSON', () => {
    expect(pushedHead(Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: '0'.repeat(40) })))).toBeUndefined();
    expect(pushedHead(Buffer.from(JSON.stringify({ ref: 'main', after: sha })))).toBeUndefined();
    expect(pushedHead(Buffer.from(JSON.stringify({ zen: 'ping' })))).toBeUndefined();
    expect(pushedHead(Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'xyz' })))).toBeUndefined();
    expect(pushedHead(Buffer.from('not json'))).toBeUndefined();
    expect(pushedHead(Buffer.from('null'))).toBeUndefined();
  });
});
