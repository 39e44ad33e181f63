// Fuzzing webhook authentication: verifyWebhook (daemon/webhook/verify.ts) against an
// independent oracle of the three schemes, and the daemon's real HTTP endpoint (POST
// /hooks/<source> of daemon/webhook/routes.ts, served by daemon/http on loopback) with random
// paths, headers and bodies: a trigger happens exactly when the request proves the secret,
// every other request gets 401/404 (never a 5xx), and no request hangs.
// daemon/webhook/verify.test.ts holds the fixed vectors; this adds the oracle, the endpoint and
// FUZZ_SEED/FUZZ_RUNS.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../daemon/http/index.js';
import { hookRoutes, type HookTarget } from '../../daemon/webhook/routes.js';
import { verifyWebhook, type WebhookHeaders, type WebhookType } from '../../daemon/webhook/verify.js';
import { fuzzParams, fuzzTimeout, timed, timedAsync } from './arbitraries.js';

const SIG_HEADER: Record<WebhookType, string> = { github: 'x-hub-signature-256', generic: 'x-signature', gitlab: 'x-gitlab-token' };
const hmac = (secret: string, body: Buffer): string => createHmac('sha256', secret).update(body).digest('hex');

/** The specification, written independently of verify.ts: exactly one header, exact proof. */
function oracle(type: WebhookType, secret: string, headers: WebhookHeaders, body: Buffer): boolean {
  if (secret === '') return false;
  const values = Object.entries(headers)
    .filter(([k, v]) => k.toLowerCase() === SIG_HEADER[type] && v !== undefined)
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v as string]));
  if (values.length !== 1) return false;
  const v = values[0] as string;
  if (type === 'gitlab') return v === secret;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(v.trim());
  return m !== null && m[1]?.toLowerCase() === hmac(secret, body);
}

const type = fc.constantFrom<WebhookType>('github', 'gitlab', 'generic');
const secret = fc.oneof(fc.string({ minLength: 1, maxLength: 24 }), fc.constant(''));
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json().map((j) => Buffer.from(j)),
);

/** A signature value built from the right one, then perhaps damaged: the near misses matter most. */
function signature(t: WebhookType, s: string, b: Buffer): fc.Arbitrary<string> {
  const right = t === 'gitlab' ? s : `sha256=${hmac(s, b)}`;
  return fc.oneof(
    fc.constant(right),
    fc.constant(right.toUpperCase().replace('SHA256=', 'sha256=')),
    fc.constant(` ${right}\t`),
    fc.tuple(fc.nat(), fc.constantFrom(...'0123456789abcdefXZ= ')).map(([i, c]) => {
      const at = i % Math.max(1, right.length);
      return right.slice(0, at) + c + right.slice(at + 1);
    }),
    fc.nat().map((n) => right.slice(0, n % (right.length + 1))),
    fc.constant(right.replace('sha256=', 'sha1=')),
    fc.string({ maxLength: 80 }),
  );
}

const headerCase = fc.constantFrom(
  (h: string) => h,
  (h: string) => h.toUpperCase(),
  (h: string) => h.replace(/(^|-)x/g, '$1X'),
);

const scenarioFor = (secrets: fc.Arbitrary<string>, types: fc.Arbitrary<WebhookType> = type) =>
  fc.tuple(types, secrets, body).chain(([t, s, b]) =>
    fc.record({
      t: fc.constant(t),
      s: fc.constant(s),
      b: fc.constant(b),
      sig: signature(t, s, b),
      name: headerCase.map((f) => f(SIG_HEADER[t])),
      // Sometimes the header twice (as an array, or under two spellings), sometimes other noise.
      dup: fc.constantFrom('none', 'none', 'none', 'array', 'second-spelling'),
      noise: fc.dictionary(
        fc.constantFrom('x-hub-signature', 'x-signature-256', 'content-type', 'x-gitlab-event', 'X-Other'),
        fc.string({ maxLength: 40 }),
        { maxKeys: 3 },
      ),
    }),
  );
const scenario = scenarioFor(secret);

function headersOf(c: { t: WebhookType; sig: string; name: string; dup: string; noise: Record<string, string> }): WebhookHeaders {
  const h: WebhookHeaders = { ...c.noise };
  if (c.dup === 'array') h[c.name] = [c.sig, c.sig];
  else h[c.name] = c.sig;
  if (c.dup === 'second-spelling') h[c.name === c.name.toUpperCase() ? c.name.toLowerCase() : c.name.toUpperCase()] = c.sig;
  return h;
}

describe('fuzz: webhook verification', () => {
  it(
    'verifyWebhook agrees with the oracle and never throws',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(scenario, (c) => {
          const h = headersOf(c);
          const got = timed('verifyWebhook', () => verifyWebhook(c.t, c.s, h, c.b));
          expect(got).toBe(oracle(c.t, c.s, h, c.b));
          if (got) accepted++;
        }),
        fuzzParams('webhook/verify-oracle'),
      );
      expect(accepted).toBeGreaterThan(0);
    },
    fuzzTimeout(2),
  );
});

describe('fuzz: the daemon webhook endpoint', () => {
  const SECRET = 'fuzz-hook-secret';
  const triggers = new Map<string, number>();
  const hooks = new Map<string, HookTarget>();
  for (const [name, t] of [
    ['gh', 'github'],
    ['gl', 'gitlab'],
    ['gen', 'generic'],
  ] as const) {
    hooks.set(name, { type: t, secret: async () => SECRET, trigger: () => void triggers.set(name, (triggers.get(name) ?? 0) + 1) });
  }
  let srv: HttpServer;
  let port = 0;
  beforeAll(async () => {
    srv = await startHttpServer('127.0.0.1:0', [hookRoutes(hooks)]);
    port = Number(new URL(srv.url).port);
  });
  afterAll(async () => {
    await srv.close();
  });

  function post(path: string, headers: Record<string, string | string[]>, payload: Buffer, method = 'POST'): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method, headers: { ...headers, 'content-length': String(payload.length) }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  const hookPath = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('/hooks/gh', '/hooks/gl', '/hooks/gen') },
    fc.constantFrom(
      '/hooks/g%68',
      '/hooks/g%6C',
      '/hooks/nope',
      '/hooks/nope',
      '/hooks/',
      '/hooks/gh/',
      '/hooks/%',
      '/hooks/%E0%A4%A',
      '/hooks/gh?x=1',
      '//hooks/gh',
      '/hooks/..%2Fgh',
    ),
    fc.string({ unit: fc.constantFrom(...'/%abcghlnoks0123456789EF?.'), maxLength: 20 }).map((s) => `/hooks/${s}`),
  );
  const printable = (s: string): string => s.replace(/[^\x20-\x7e]/g, '_');

  // Mostly the scheme of the hook the path names (else every request would be a plain 401).
  const typeOfPath = (path: string): WebhookType => (path.includes('gl') ? 'gitlab' : path.includes('gen') ? 'generic' : 'github');
  const requestArb = hookPath.chain((path) =>
    fc.tuple(
      fc.constant(path),
      scenarioFor(
        fc.constantFrom(SECRET, SECRET, SECRET, 'not-the-secret'),
        fc.oneof({ weight: 3, arbitrary: fc.constant(typeOfPath(path)) }, type),
      ),
    ),
  );

  it(
    '202 exactly for proven requests to a configured hook, else 401/404; never 5xx, never a hang',
    async () => {
      const counts = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArb, fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'), async ([path, c], method) => {
          const target = [...hooks.entries()].find(([n]) => {
            try {
              return (
                new URL(path, 'http://x').pathname === `/hooks/${n}` ||
                decodeURIComponent(new URL(path, 'http://x').pathname) === `/hooks/${n}`
              );
            } catch {
              return false;
            }
          });
          // Node's client folds header names case-insensitively (the later spelling wins), so two
          // spellings reach the server as one header: send duplicates only as two header lines.
          const dup = c.dup === 'second-spelling' ? 'array' : c.dup;
          const h = headersOf({
            ...c,
            dup,
            sig: printable(c.sig),
            noise: Object.fromEntries(Object.entries(c.noise).map(([k, v]) => [k, printable(v)])),
          });
          const before = target ? (triggers.get(target[0]) ?? 0) : 0;
          const status = await timedAsync(`POST ${path}`, () => post(path, h as Record<string, string | string[]>, c.b, method));
          counts.set(status, (counts.get(status) ?? 0) + 1);
          expect([202, 401, 404]).toContain(status);
          const proven = method === 'POST' && target !== undefined && verifyWebhook(target[1].type, SECRET, h, c.b);
          expect(status === 202).toBe(proven);
          if (target) expect(triggers.get(target[0]) ?? 0).toBe(before + (proven ? 1 : 0));
        }),
        fuzzParams('webhook/endpoint', 0.3),
      );
      console.log(`[fuzz] webhook/endpoint statuses: ${JSON.stringify(Object.fromEntries(counts))}`);
      expect(counts.get(202) ?? 0).toBeGreaterThan(0);
      expect(counts.get(401) ?? 0).toBeGreaterThan(0);
    },
    fuzzTimeout(20, 0.3),
  );

  it('a correctly signed request for each configured hook is accepted', async () => {
    const b = Buffer.from('{"ref":"refs/heads/main"}');
    expect(await post('/hooks/gh', { 'X-Hub-Signature-256': `sha256=${hmac(SECRET, b)}` }, b)).toBe(202);
    expect(await post('/hooks/gen', { 'x-signature': `sha256=${hmac(SECRET, b)}` }, b)).toBe(202);
    expect(await post('/hooks/gl', { 'X-Gitlab-Token': SECRET }, b)).toBe(202);
  });
});
