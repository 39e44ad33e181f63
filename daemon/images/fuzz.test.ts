// Property tests: the header/body parsers are total, and the registry client, whatever a server
// answers (any status, challenge, Link, Retry-After, body), fails only with a RegistryError.
// The server here is a fuzz harness on loopback, not a registry stand-in: the real-registry
// behaviour is covered by registry.int.test.ts.
import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenges, parseNextLink } from './challenge.js';
import { RegistryError } from './errors.js';
import { Limiter } from './limiter.js';
import { parseImageReference } from './reference.js';
import { parseTagsPage, RegistryClient } from './registry-client.js';
import { parseRetryAfter } from './retry.js';

const SEED = 20240611;
const HEADER_CHARS = [...'abcdefgBEARERbasicrealmservicescopenext=",;<> /:?&%\\_-.0123456789'];
const headerText = fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 80 });
const jsonish = fc.oneof(
  fc.json(),
  fc.string(),
  fc
    .record({ name: fc.string(), tags: fc.oneof(fc.constant(null), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)))) })
    .map((o) => JSON.stringify(o)),
);

describe('parsers never throw', () => {
  it('WWW-Authenticate, Link, Retry-After, tags pages (2,000 cases each)', () => {
    fc.assert(
      fc.property(fc.oneof(headerText, fc.string()), fc.oneof(jsonish, fc.string()), (h, body) => {
        const ch = parseChallenges(h);
        for (const c of ch) expect(typeof c.scheme).toBe('string');
        const next = parseNextLink(h, 'http://127.0.0.1:1/v2/a/tags/list');
        if (next !== undefined) expect(() => new URL(next)).not.toThrow();
        const ra = parseRetryAfter(h);
        if (ra !== undefined) expect(ra).toBeGreaterThanOrEqual(0);
        const page = parseTagsPage(body);
        expect(typeof page === 'string' || Array.isArray(page)).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

interface Scenario {
  status: number;
  challenge: string;
  link: string;
  retryAfter: string;
  body: string;
  tokenStatus: number;
  tokenBody: string;
  digest: string;
}

describe('registry client on arbitrary responses', () => {
  let server: http.Server;
  let port = 0;
  let scenario: Scenario;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const s = scenario;
      const isToken = req.url?.startsWith('/token') ?? false;
      const headers: Record<string, string> = {};
      const status = isToken ? s.tokenStatus : s.status;
      if (!isToken && s.challenge !== '') headers['www-authenticate'] = s.challenge.replace('REALM', `http://127.0.0.1:${port}/token`);
      if (!isToken && s.link !== '') headers.link = s.link;
      if (s.retryAfter !== '') headers['retry-after'] = s.retryAfter;
      if (s.digest !== '') headers['docker-content-digest'] = s.digest;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : isToken ? s.tokenBody : s.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('rejects only with RegistryError (1,000 seeded cases)', async () => {
    const arb = fc.record({
      status: fc.constantFrom(200, 200, 200, 201, 204, 301, 400, 401, 401, 403, 404, 405, 429, 500, 502, 503, 599),
      challenge: fc.oneof(
        fc.constant(''),
        headerText,
        fc.constantFrom(
          'Bearer realm="REALM",service="s"',
          'Basic realm="r"',
          'Bearer realm="REALM",scope="repository:x:pull"',
          'Bearer realm="ftp://x"',
          'Bearer service="s"',
        ),
      ),
      link: fc.oneof(
        fc.constant(''),
        headerText,
        fc.constantFrom(
          '</v2/x/tags/list?last=a>; rel="next"',
          '<http://elsewhere:1/v2/x>; rel="next"',
          '</v2/x/tags/list?n=1000>; rel="next"',
        ),
      ),
      retryAfter: fc.oneof(fc.constant(''), fc.constantFrom('0', '1', '99999', 'Wed, 21 Oct 2015 07:28:00 GMT'), headerText),
      body: jsonish,
      tokenStatus: fc.constantFrom(200, 200, 401, 500),
      tokenBody: fc.oneof(jsonish, fc.constantFrom('{"token":"t"}', '{"access_token":"t","expires_in":-5}', '{"token":""}')),
      digest: fc.oneof(fc.constant(''), fc.constant(`sha256:${'a'.repeat(64)}`), headerText),
    });
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(arb, fc.boolean(), fc.boolean(), async (s, withCreds, digest) => {
        scenario = s;
        const client = new RegistryClient({
          ref: parseImageReference(`127.0.0.1:${port}/x`),
          insecure: true,
          limiter: new Limiter(2),
          retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
          maxPages: 4,
          timeoutMs: 5_000,
          ...(withCreds ? { credentials: async () => ({ username: 'u', password: 'p' }) } : {}),
        });
        try {
          const r = digest ? await client.manifestDigest('v1') : await client.listTags();
          expect(r).toBeDefined();
        } catch (e) {
          failures++;
          if (!(e instanceof RegistryError)) throw e;
          expect(e.message).toMatch(/^image 127\.0\.0\.1:\d+\/x \(registry 127\.0\.0\.1:\d+\): [a-z-]+: /);
          expect(e.message).not.toContain(Buffer.from('u:p').toString('base64'));
        } finally {
          client.close();
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // The generator must exercise the error paths, not only happy ones.
    expect(failures).toBeGreaterThan(300);
  }, 120_000);
});
