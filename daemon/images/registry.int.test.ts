// Image scanning against the REAL registries of the test stack (CNCF Distribution, token auth and
// htpasswd basic auth): >1,000 tags across pages, every policy type, multi-arch index digests,
// 401/404; and faults a healthy registry cannot produce (429 + Retry-After, 5xx, malformed JSON,
// endless Link chains) injected by a loopback proxy that forwards to the real registry.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage, pushIndex, pushManyTags, RegistryPusher } from '../../test/stack/image-push.js';
import { startRegistry } from '../../test/stack/registry.js';
import type { RegistryEndpoint, RegistryInfo, StackInfo, Started } from '../../test/stack/types.js';
import { RegistryError } from './errors.js';
import { FaultProxy } from '../../test/support/fault-proxy.js';
import { Limiter } from './limiter.js';
import { DEFAULT_EXCLUSION_LIST, type FilterTagsSpec, type PolicySpec } from './policy.js';
import { parseImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { ImageScanner } from './scanner.js';
import type { ImageSpec } from './types.js';

let server: Started<RegistryInfo> | undefined;
let reg: RegistryInfo;
const ns = `img-${randomBytes(3).toString('hex')}`;
const env: NodeJS.ProcessEnv = {};

function spec(host: string, repo: string, policy: PolicySpec, extra: Partial<ImageSpec> & { filterTags?: FilterTagsSpec } = {}): ImageSpec {
  const image = `${host}/${repo}`;
  return {
    name: repo.replace(/[^a-z0-9-]/g, '-'),
    image,
    ref: parseImageReference(image),
    intervalMs: 60_000,
    timeoutMs: 10_000,
    insecure: true,
    exclusionList: [...DEFAULT_EXCLUSION_LIST],
    policy,
    digestPinning: false,
    ...extra,
  };
}

const creds = { usernameFrom: { env: 'REG_USER' }, passwordFrom: { env: 'REG_PASS' } };
function useCreds(e: RegistryEndpoint): void {
  env.REG_USER = e.username;
  env.REG_PASS = e.password;
}

async function scanner(
  s: ImageSpec,
  client: ConstructorParameters<typeof ImageScanner>[1] extends infer O ? (O extends { client?: infer C } ? C : never) : never = {},
): Promise<ImageScanner> {
  return new ImageScanner(s, { env, client: { limiter: new Limiter(4), ...client } });
}

beforeAll(async () => {
  const shared = inject('stack') as StackInfo | undefined;
  if (shared) reg = shared.registry;
  else {
    server = await startRegistry();
    reg = server.info;
  }
});
afterAll(async () => {
  await server?.stop();
});

describe('tags across pages', () => {
  it('token auth: 1,100 semver tags in 12 pages of 100, one token, highest in range chosen', async () => {
    const repo = `${ns}/many-token`;
    const tags = Array.from({ length: 1100 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    tags.push('2.0.0', '1.10.0-rc.1', 'latest', 'sha256-abc.sig');
    await pushManyTags(reg.token, repo, tags);
    useCreds(reg.token);
    const s = await scanner(spec(reg.token.host, repo, { semver: { range: '>=1.0.0 <2.0.0' } }, { credentials: creds }), { pageSize: 100 });
    const r = await s.scan();
    expect(r.tagsSeen).toBe(1104);
    expect(r.pages).toBeGreaterThanOrEqual(12);
    expect(r.chosenTag).toBe('1.10.99');
    // One token for the whole listing: requests = challenge + token + one per page.
    expect(r.requests).toBeLessThanOrEqual(r.pages + 2);
    expect(s.status).toMatchObject({ chosenTag: '1.10.99', tagsSeen: 1104, scans: 1, failures: 0 });
  });

  it('basic auth: 1,050 numerical tags with the default page size', async () => {
    const repo = `${ns}/many-basic`;
    const tags = Array.from({ length: 1050 }, (_, i) => String(1_700_000_000 + i * 7));
    await pushManyTags(reg.basic, repo, tags);
    useCreds(reg.basic);
    const r = await (await scanner(spec(reg.basic.host, repo, { numerical: { order: 'asc' } }, { credentials: creds }))).scan();
    expect(r.tagsSeen).toBe(1050);
    expect(r.pages).toBeGreaterThanOrEqual(2);
    expect(r.chosenTag).toBe(String(1_700_000_000 + 1049 * 7));
  });
});

describe('policies on the real registry', () => {
  const repo = `${ns}/policies`;
  const tags = [
    '1.0.0',
    'v1.2.0',
    '1.3.0-rc.1',
    '2.0.0-beta.2',
    'main-a1b2c3-1700000100',
    'main-ffeedd-1700000050',
    'dev-1700009999',
    '10',
    '9',
    'sha256-x.sig',
  ];
  beforeAll(async () => {
    await pushManyTags(reg.basic, repo, tags);
    useCreds(reg.basic);
  });
  const cases: [string, PolicySpec, FilterTagsSpec | undefined, string | undefined][] = [
    ['semver releases only', { semver: { range: '>=1.0.0' } }, undefined, 'v1.2.0'],
    ['semver with prereleases', { semver: { range: '>=1.0.0-0' } }, undefined, '2.0.0-beta.2'],
    // 2.0.0-beta.2 < 2.0.0, so a range with prereleases must say `<2.0.0-0` to stop before 2.0.
    ['semver prerelease below 2.0.0-0', { semver: { range: '>=1.3.0-0 <2.0.0-0' } }, undefined, '1.3.0-rc.1'],
    ['semver prerelease: 2.0.0-beta is below 2.0.0', { semver: { range: '>=1.3.0-0 <2.0.0' } }, undefined, '2.0.0-beta.2'],
    ['semver nothing in range', { semver: { range: '>=5' } }, undefined, undefined],
    ['alphabetical asc', { alphabetical: { order: 'asc' } }, undefined, 'v1.2.0'],
    ['alphabetical desc', { alphabetical: { order: 'desc' } }, undefined, '1.0.0'],
    [
      'numerical asc on extracted ts',
      { numerical: { order: 'asc' } },
      { pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' },
      'main-a1b2c3-1700000100',
    ],
    ['numerical desc on filtered', { numerical: { order: 'desc' } }, { pattern: '^\\d+$' }, '9'],
  ];
  it.each(cases)('%s', async (_label, policy, filterTags, want) => {
    const r = await (
      await scanner(spec(reg.basic.host, repo, policy, { credentials: creds, ...(filterTags ? { filterTags } : {}) }))
    ).scan();
    expect(r.chosenTag).toBe(want);
    expect(r.tagsSeen).toBe(tags.length);
  });
});

describe('digests', () => {
  it.each(['oci', 'docker'] as const)('digestPinning resolves the %s multi-arch index digest as pushed', async (format) => {
    const repo = `${ns}/multi-${format}`;
    const pc = new RegistryPusher(reg.token);
    const idx = await pushIndex(pc, repo, '1.0.0', { format });
    const single = await pushImage(pc, repo, '0.9.0', { format });
    useCreds(reg.token);
    const r = await (
      await scanner(spec(reg.token.host, repo, { semver: { range: '*' } }, { credentials: creds, digestPinning: true }))
    ).scan();
    expect(r.chosenTag).toBe('1.0.0');
    expect(r.digest).toBe(idx.digest);
    const c = new RegistryClient({
      ref: parseImageReference(`${reg.token.host}/${repo}`),
      insecure: true,
      credentials: async () => ({ username: reg.token.username, password: reg.token.password }),
    });
    expect(await c.manifestDigest('0.9.0')).toBe(single.digest);
    c.close();
  });
});

describe('errors from the real registry', () => {
  const repo = `${ns}/private`;
  beforeAll(async () => {
    await pushImage(reg.basic, repo, '1.0.0');
    await pushImage(reg.token, repo, '1.0.0');
  });
  it.each(['basic', 'token'] as const)('%s: 401 without credentials names the image', async (kind) => {
    const s = await scanner(spec(reg[kind].host, repo, { semver: { range: '*' } }));
    const err = await s.scan().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).reason).toBe('unauthorized');
    expect((err as RegistryError).message).toContain(`${reg[kind].host}/${repo}`);
    expect((err as RegistryError).message).toMatch(/none are configured|refused anonymous/);
    expect(s.status).toMatchObject({ lastErrorReason: 'unauthorized', failures: 1 });
  });
  it.each(['basic', 'token'] as const)('%s: wrong password is unauthorized and not echoed', async (kind) => {
    env.REG_USER = reg[kind].username;
    env.REG_PASS = 'wrong-password-xyz';
    const err = await (
      await scanner(spec(reg[kind].host, repo, { semver: { range: '*' } }, { credentials: creds }))
    )
      .scan()
      .catch((e: unknown) => e);
    expect((err as RegistryError).reason).toBe('unauthorized');
    expect(String(err)).not.toContain('wrong-password-xyz');
  });
  it('404 for a repository that does not exist', async () => {
    useCreds(reg.basic);
    const err = await (
      await scanner(spec(reg.basic.host, `${ns}/nope`, { semver: { range: '*' } }, { credentials: creds }))
    )
      .scan()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).reason).toBe('not-found');
    expect((err as RegistryError).message).toContain('NAME_UNKNOWN');
  });
});

describe('faults injected in front of the real registry', () => {
  const repo = `${ns}/faults`;
  const tags = Array.from({ length: 250 }, (_, i) => `1.0.${i}`);
  let proxy: FaultProxy;
  beforeAll(async () => {
    await pushManyTags(reg.basic, repo, tags);
    proxy = await FaultProxy.start(reg.basic.url);
    useCreds(reg.basic);
  });
  afterAll(async () => {
    await proxy.stop();
  });
  const isTags = (url: string): boolean => url.includes('/tags/list');
  const pageTwo = (url: string): boolean => isTags(url) && url.includes('last=');
  const fastRetry = { retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 4, maxRetryAfterMs: 5_000 }, pageSize: 100 };
  const make = (): Promise<ImageScanner> =>
    scanner(spec(proxy.host, repo, { semver: { range: '1.x' } }, { credentials: creds }), fastRetry);

  it('429 with Retry-After: 1 is honoured (waits ≥1 s) and the scan then succeeds', async () => {
    let injected = 0;
    proxy.setScript((c) => {
      if (pageTwo(c.path) && injected === 0) {
        injected++;
        return {
          status: 429,
          headers: { 'retry-after': '1', 'content-type': 'application/json' },
          body: Buffer.from('{"errors":[{"code":"TOOMANYREQUESTS"}]}'),
        };
      }
      return 'forward';
    });
    const t0 = proxy.requests.length;
    const s = await make();
    const r = await s.scan();
    expect(r.chosenTag).toBe('1.0.249');
    expect(r.tagsSeen).toBe(250);
    const calls = proxy.requests.slice(t0).filter((l) => pageTwo(l.path));
    const limited = calls.find((l) => l.status === 429);
    const retried = calls.find((l) => l.status === 200 && limited !== undefined && l.at > limited.at);
    expect(limited && retried).toBeTruthy();
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('HTTP-date Retry-After is honoured too', async () => {
    let injected = 0;
    proxy.setScript((c) => {
      if (pageTwo(c.path) && injected++ === 0)
        return { status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() }, body: Buffer.from('busy') };
      return 'forward';
    });
    const t0 = Date.now();
    const r = await (await make()).scan();
    expect(r.chosenTag).toBe('1.0.249');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });

  it('two 500s are retried with backoff; a persistent 500 is a clear server error', async () => {
    let n = 0;
    proxy.setScript((c) => (isTags(c.path) && n++ < 2 ? { status: 500, headers: {}, body: Buffer.from('boom') } : 'forward'));
    expect((await (await make()).scan()).chosenTag).toBe('1.0.249');
    proxy.setScript((c) => (isTags(c.path) ? { status: 502, headers: {}, body: Buffer.from('bad gateway') } : 'forward'));
    const s = await make();
    const err = await s.scan().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).reason).toBe('server');
    expect((err as RegistryError).message).toMatch(/answered 502 4 times: bad gateway/);
  });

  it('429 with a Retry-After longer than we wait fails fast as rate-limited', async () => {
    proxy.setScript((c) => (isTags(c.path) ? { status: 429, headers: { 'retry-after': '3600' }, body: Buffer.from('') } : 'forward'));
    const t0 = Date.now();
    const err = await (await make()).scan().catch((e: unknown) => e);
    expect((err as RegistryError).reason).toBe('rate-limited');
    expect((err as RegistryError).retryAfterMs).toBe(3_600_000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('malformed JSON on page 2: clear error, last good choice kept, no wrong selection', async () => {
    proxy.setScript(() => 'forward');
    const s = await make();
    expect((await s.scan()).chosenTag).toBe('1.0.249');
    proxy.setScript((c) => (pageTwo(c.path) ? (up) => ({ ...up, body: up.body.subarray(0, 20) }) : 'forward'));
    const err = await s.scan().catch((e: unknown) => e);
    expect((err as RegistryError).reason).toBe('malformed');
    expect((err as RegistryError).message).toMatch(/tag list page 2: body is not valid JSON/);
    expect(s.status).toMatchObject({ chosenTag: '1.0.249', lastErrorReason: 'malformed', failures: 1, scans: 2 });
  });

  it('endless Link chain stops at the page limit; a Link back to a fetched page stops at once', async () => {
    let k = 0;
    proxy.setScript((c) =>
      isTags(c.path)
        ? (up) => ({ ...up, headers: { ...up.headers, link: `</v2/${repo}/tags/list?n=100&last=1.0.0&loop=${k++}>; rel="next"` } })
        : 'forward',
    );
    const s = new ImageScanner(spec(proxy.host, repo, { semver: { range: '1.x' } }, { credentials: creds }), {
      env,
      client: { ...fastRetry, maxPages: 25, limiter: new Limiter(4) },
    });
    const err = await s.scan().catch((e: unknown) => e);
    expect((err as RegistryError).reason).toBe('pagination');
    expect((err as RegistryError).message).toMatch(/more than 25 pages|repeats only tags already listed/);
    proxy.setScript((c) =>
      isTags(c.path) ? (up) => ({ ...up, headers: { ...up.headers, link: `</v2/${repo}/tags/list?n=100>; rel="next"` } }) : 'forward',
    );
    const err2 = await (await make()).scan().catch((e: unknown) => e);
    expect((err2 as RegistryError).reason).toBe('pagination');
    expect((err2 as RegistryError).message).toMatch(/points back to a page already fetched/);
  });
});

describe('interval loop', () => {
  it('start() scans every interval, records status, stop() ends the loop', async () => {
    const repo = `${ns}/loop`;
    await pushManyTags(reg.basic, repo, ['1.0.0', '1.1.0']);
    useCreds(reg.basic);
    const seen: string[] = [];
    const s = new ImageScanner(spec(reg.basic.host, repo, { semver: { range: '^1' } }, { credentials: creds, intervalMs: 100 }), {
      env,
      client: { limiter: new Limiter(2) },
      onScan: (st) => seen.push(st.chosenTag ?? '-'),
    });
    s.start();
    await new Promise((r) => setTimeout(r, 250));
    await pushImage(reg.basic, repo, '1.2.0');
    await expect.poll(() => s.status.chosenTag, { timeout: 5_000 }).toBe('1.2.0');
    await s.stop();
    const scans = s.status.scans;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.status.scans).toBe(scans);
    expect(seen[0]).toBe('1.1.0');
    expect(s.status).toMatchObject({ failures: 0, tagsSeen: 3 });
  });
});
