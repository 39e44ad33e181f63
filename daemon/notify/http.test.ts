// One POST, classified — and its error texts never quote the URL (a chat webhook's URL is its token).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from './errors.js';
import { postJson, retryAfterMs } from './http.js';

const TOKEN_PATH = '/services/T000/B000/tokenInThePath0123456789';

describe('postJson', () => {
  let base = '';
  const server = createServer((req, res) => {
    const code = Number(req.url?.split('/').pop()?.split('?')[0]);
    res.writeHead(
      Number.isFinite(code) && code >= 200 ? code : 200,
      code === 302 ? { location: 'http://elsewhere.example/' } : code === 503 ? { 'retry-after': '7' } : {},
    );
    res.end(`echo ${req.headers.authorization ?? ''}`);
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (url: string) =>
    postJson({ name: 'chat', url, headers: { authorization: 'Bearer sekret-token-1234' }, body: '{}' }, AbortSignal.timeout(5000)).then(
      () => undefined,
      (e: unknown) => e as DeliveryError,
    );

  it.each([
    [200, undefined, undefined],
    [503, 'http-5xx', true],
    [429, 'rate-limited', true],
    [401, 'http-4xx', false],
    [404, 'http-4xx', false],
    [302, 'http-4xx', false],
  ])('HTTP %i → %s (retryable: %s)', async (code, reason, retryable) => {
    const e = await post(`${base}${TOKEN_PATH}/${code}`);
    expect(e?.reason).toBe(reason);
    expect(e?.retryable).toBe(retryable);
    if (e) {
      expect(e.message).toMatch(new RegExp(`^chat: HTTP ${code}`));
      expect(e.message).not.toContain('tokenInThePath');
      expect(e.message).not.toContain('sekret');
    }
    if (code === 503) expect(e?.retryAfterMs).toBe(7000);
  });

  it('a refused connection is a retryable network failure named by its code, not by the URL', async () => {
    // A port that was just free (fetch refuses the "bad ports" such as 1 before connecting).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const e = await post(`http://127.0.0.1:${port}${TOKEN_PATH}`);
    expect(e).toBeInstanceOf(DeliveryError);
    expect([e?.reason, e?.retryable, e?.message]).toEqual(['network', true, 'chat: cannot reach the endpoint: ECONNREFUSED']);
  });

  it('reads Retry-After as seconds or a date, capped at 10 minutes', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 60_000).toUTCString(), Date.now())).toBeGreaterThan(55_000);
    expect(retryAfterMs('999999')).toBe(600_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
