// The page's routes on the real HTTP listener with a real StatusStore fed through the bus (no
// cluster: syncs have no runtime, so object lists are empty). The browser tests are in
// test/e2e/ui-*.int.test.ts; here: redaction, the live stream's latency, the loopback rule,
// sign-in, and the first load's weight.
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { startHttpServer, type HttpServer } from '../http/index.js';
import { createLogger } from '../log.js';
import { StatusStore } from '../status/index.js';
import { isLoopbackListen, SESSION_COOKIE, uiRoutes, type UiParts } from './index.js';
import type { UiSpec } from './types.js';
import { stateOf } from './view.js';
import type { OverviewModel } from './web/model.js';
import { TextCapture } from '../../test/support/text-capture.js';
import { ensureUiBundle } from '../../test/support/ui-bundle.js';

const REV = 'a'.repeat(40);
const AGE_KEY = 'AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSKZ6JH3';

function setup(listen: string, ui?: UiSpec): { bus: EventBus; parts: UiParts } {
  const bus = new EventBus();
  const status = new StatusStore({
    sources: [{ name: 'repo', url: 'https://git.example/fleet.git' }],
    syncs: [{ name: 'apps', source: 'repo' }],
  });
  status.follow(bus);
  const parts: UiParts = {
    config: {
      metadata: { name: 'test' },
      spec: {
        sources: [{ name: 'repo', url: 'https://git.example/fleet.git', ref: { branch: 'main' } }],
        syncs: [{ name: 'apps', source: 'repo', path: 'apps', decryption: { age: {}, vault: {} } }],
        ...(ui ? { ui } : {}),
      },
    },
    listen,
    status,
    bus,
    log: createLogger({ destination: new TextCapture(), level: 'warn' }),
    syncs: () => new Map(),
    drift: () => new Map(),
    sources: () => new Map(),
    homeKube: () => Promise.reject(new Error('no cluster in a unit test')),
  };
  return { bus, parts };
}

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(parts: UiParts, bind = '127.0.0.1:0'): Promise<string> {
  await ensureUiBundle();
  const routes = uiRoutes(parts);
  if (!routes) throw new Error('ui disabled');
  server = await startHttpServer(bind, [routes]);
  return server.url;
}

const refused = (at: string, message: string) =>
  ({ type: 'sync.refused', sync: 'apps', revision: REV, at, stage: 'decrypt', message, decryptFailures: [], durationMs: 1 }) as const;

describe('web page routes', () => {
  it('serves the overview server-rendered, the refusal with its file, and nothing secret-shaped', async () => {
    const { bus, parts } = setup('127.0.0.1:9797');
    const url = await serve(parts);
    bus.publish(refused(new Date().toISOString(), `apps/db.sops.yaml: tampered or corrupted; key ${AGE_KEY}`));
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await r.text();
    expect(html).toContain('data-sync="apps"');
    expect(html).toContain('apps/db.sops.yaml: tampered or corrupted');
    expect(html).toContain('age, vault transit');
    expect(html).not.toContain(AGE_KEY);
    expect(html).toContain('[REDACTED]');
    const api = (await (await fetch(`${url}/ui/api/syncs/apps`)).json()) as { sync: { failing: { stage: string } } };
    expect(api.sync.failing.stage).toBe('decrypt');
    expect(JSON.stringify(api)).not.toContain(AGE_KEY);
    const missing = await fetch(`${url}/syncs/%3Cb%3Enope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('No sync named “&#60;b&#62;nope”');
    expect((await fetch(`${url}/ui/api/syncs/nope`)).status).toBe(404);
  });

  it('pushes a new model over server-sent events well within 1 s of a daemon event', async () => {
    const { bus, parts } = setup('127.0.0.1:9797');
    const url = await serve(parts);
    const ac = new AbortController();
    const res = await fetch(`${url}/ui/events?sync=apps`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let text = '';
    const models = (): string[] => text.split('event: model\ndata: ').slice(1);
    while (models().length < 1) text += dec.decode((await reader.read()).value);
    const t0 = Date.now();
    bus.publish(refused(new Date().toISOString(), 'apps/x.yaml: tampered'));
    while (models().length < 2) text += dec.decode((await reader.read()).value);
    const ms = Date.now() - t0;
    console.log(`[figure] ui: bus event → server-sent model ${ms} ms`);
    expect(ms).toBeLessThan(1000);
    expect(models()[1]).toContain('apps/x.yaml: tampered');
    ac.abort();
  });

  it('sharded, says which shards this replica owns instead of leader or follower', async () => {
    const { parts } = setup('127.0.0.1:9797');
    (parts.status as StatusStore).provide({
      sharding: () => ({
        identity: 'pod-b',
        group: 'gitops-seal',
        shards: 12,
        owned: [1, 5, 9, 11],
        members: [
          { identity: 'pod-a', owned: [0, 2, 3, 4] },
          { identity: 'pod-b', owned: [1, 5, 9, 11] },
          { identity: 'pod-c', owned: [6, 7, 8, 10] },
        ],
      }),
    });
    const url = await serve(parts);
    const role = /data-testid="role">(.*?)<\/span><\/span>/.exec(await (await fetch(`${url}/`)).text())?.[1] ?? '';
    expect(role).toContain('replica pod-b: 4 of 12 shards, 3 live');
    expect(role).not.toMatch(/leader|follower/);
  });

  it('says leader or follower, and who holds the Lease', async () => {
    const { bus, parts } = setup('127.0.0.1:9797');
    (parts.status as StatusStore).provide({
      leaderElection: () => ({ lease: 'gitops-seal-system/gitops-seal', identity: 'pod-b', holder: 'pod-a' }),
    });
    const url = await serve(parts);
    bus.publish({ type: 'leader.changed', leader: false, at: new Date().toISOString() });
    const role = (html: string): string => /data-testid="role">(.*?)<\/span><\/span>/.exec(html)?.[1] ?? '';
    expect(role(await (await fetch(`${url}/`)).text())).toContain('follower — leader: pod-a');
    bus.publish({ type: 'leader.changed', leader: true, at: new Date().toISOString() });
    expect(role(await (await fetch(`${url}/`)).text())).toContain('leader (pod-b)');
    const api = (await (await fetch(`${url}/ui/api/overview`)).json()) as { feed: { kind: string; text: string }[] };
    expect(api.feed.map((f) => [f.kind, f.text])).toEqual([
      ['leader', 'this replica leads'],
      ['leader', 'this replica follows'],
    ]);
  });

  it('escapes what Git and the cluster say: a file name with markup stays text, in the HTML and in the embedded model', async () => {
    const { bus, parts } = setup('127.0.0.1:9797');
    const url = await serve(parts);
    bus.publish(refused(new Date().toISOString(), 'apps/</script><script>alert(1)</script>.yaml: cannot parse <b>here</b>'));
    const html = await (await fetch(`${url}/`)).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<b>here</b>');
    expect(html).toContain('&lt;/script>&lt;script>alert(1)&lt;/script>');
    const embedded = /<script type="application\/json" id="model">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    expect(embedded).toContain('\\u003c/script>');
    expect(JSON.parse(embedded).syncs[0].failing.message).toContain('</script><script>alert(1)</script>');
  });

  it('a sync of 2,500 objects: listed by kind and namespace, without live health, in well under a second', async () => {
    const { parts } = setup('127.0.0.1:9797');
    const objects = Array.from({ length: 2500 }, (_, i) => ({
      apiVersion: 'v1',
      kind: i % 2 ? 'ConfigMap' : 'Secret',
      metadata: { name: `obj-${i}`, namespace: `ns-${i % 5}` },
      ...(i % 2 ? {} : { data: { [`key-${i}`]: 'c2VjcmV0' } }),
    }));
    const manager = {
      locate: async (o: { metadata: { namespace?: string } }) => ({
        mapping: {} as never,
        namespace: o.metadata.namespace ?? '',
        path: '',
      }),
      listLive: async () => {
        throw new Error('no LIST above the health limit');
      },
    };
    parts.syncs = () => new Map([['apps', { lastGood: { objects }, manager: manager as never }]]);
    const url = await serve(parts);
    const t0 = Date.now();
    const r = await fetch(`${url}/ui/api/syncs/apps`);
    const m = (await r.json()) as { groups: { kind: string; namespace: string; objects: unknown[] }[]; objectsNote: string };
    const ms = Date.now() - t0;
    console.log(`[figure] ui: sync page model of 2,500 objects ${ms} ms`);
    expect(m.groups).toHaveLength(10);
    expect(m.groups.reduce((n, g) => n + g.objects.length, 0)).toBe(2500);
    expect(m.objectsNote).toContain('2500 objects: live health is read for syncs of at most 2000');
    expect(JSON.stringify(m)).not.toContain('c2VjcmV0');
    expect(ms).toBeLessThan(2000);
  });

  it('is not routed at all with enabled: false', () => {
    expect(uiRoutes(setup('127.0.0.1:9797', { enabled: false }).parts)).toBeUndefined();
  });

  it('beyond loopback without tokenFrom or tokenReview: 403, saying what to set', async () => {
    const url = await serve(setup('0.0.0.0:9797').parts);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('set spec.ui.tokenFrom or spec.ui.tokenReview');
    expect(((await (await fetch(`${url}/ui/api/overview`)).json()) as { error: string }).error).toContain('beyond loopback');
  });

  it('beyond loopback with a token: bearer or the sign-in form (session cookie); redirects stay on this server', async () => {
    process.env.UI_UNIT_TOKEN = 's3cret-token-value';
    const url = await serve(setup('0.0.0.0:9797', { enabled: true, tokenFrom: { env: 'UI_UNIT_TOKEN' } }).parts);
    expect((await fetch(`${url}/`)).status).toBe(401);
    expect((await fetch(`${url}/`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${url}/`, { headers: { authorization: 'Bearer s3cret-token-value' } })).status).toBe(200);
    const login = (token: string, next: string) =>
      fetch(`${url}/ui/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next }).toString(),
      });
    const bad = await login('wrong', '/');
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain('wrong');
    const ok = await login('s3cret-token-value', '//evil.example/');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/');
    const cookie = ok.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict`));
    expect(cookie).not.toContain('s3cret');
    const session = cookie.split(';')[0] ?? '';
    expect((await fetch(`${url}/ui/api/overview`, { headers: { cookie: session } })).status).toBe(200);
    // Signed in by cookie: the page offers Sign out (a plain form: no script needed); by bearer it has no session to end.
    expect(await (await fetch(`${url}/`, { headers: { cookie: session } })).text()).toMatch(
      /<div id="app" data-signed-in="">.*<form class="signout" method="post" action="\/ui\/logout">/s,
    );
    expect(await (await fetch(`${url}/`, { headers: { authorization: 'Bearer s3cret-token-value' } })).text()).not.toContain(
      'action="/ui/logout"',
    );
    expect((await login('s3cret-token-value', '/syncs/apps')).headers.get('location')).toBe('/syncs/apps');
    await fetch(`${url}/ui/logout`, { method: 'POST', headers: { cookie: session }, redirect: 'manual' });
    expect((await fetch(`${url}/ui/api/overview`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('a TokenReview the daemon may not make: 503 naming the missing rule, not a refused token, not counted as a guess', async () => {
    const { parts } = setup('0.0.0.0:9797', { enabled: true, tokenReview: { users: [], groups: [] } });
    let calls = 0;
    // The shape KubeClient throws for a 403 (daemon/kube/errors.ts); the real apiserver's answer is in test/e2e/ui-access-rbac.int.test.ts.
    const forbidden = Object.assign(new Error('POST tokenreviews: 403 Forbidden: cannot create resource "tokenreviews"'), { status: 403 });
    parts.homeKube = async () => ({
      getOptional: () => Promise.reject(new Error('unused')),
      request: () => {
        calls++;
        return Promise.reject(forbidden);
      },
    });
    const url = await serve(parts);
    const page = await fetch(`${url}/`, { headers: { authorization: 'Bearer some-k8s-token' } });
    expect(page.status).toBe(503);
    const text = await page.text();
    expect(text).toContain('create on authentication.k8s.io tokenreviews');
    expect(text).toContain('<form class="signin"');
    expect(text).not.toContain('some-k8s-token');
    const api = await fetch(`${url}/ui/api/overview`, { headers: { authorization: 'Bearer some-k8s-token' } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: string }).error).toMatch(/ServiceAccount may not create TokenReviews/);
    const login = await fetch(`${url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=some-k8s-token&next=%2F',
    });
    expect(login.status).toBe(503);
    expect(await login.text()).toContain('The daemon could not check the token.');
    // Remembered for a few seconds: three requests, one call to the apiserver.
    expect(calls).toBe(1);
    // Not counted as refused guesses: 40 more still get 503, never the lockout's 401.
    for (let i = 0; i < 40; i++)
      expect((await fetch(`${url}/ui/api/overview`, { headers: { authorization: `Bearer t${i}` } })).status).toBe(503);
  });

  it('image policies: current tag, newest seen and the last bump commit on each policy row (same name, other namespaces apart)', async () => {
    const { parts } = setup('127.0.0.1:9797');
    const T = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    const img = (ns: string, tag: string) => ({
      name: 'web',
      image: `r/${ns}/web`,
      namespaces: [ns],
      chosenTag: tag,
      latestTag: `${tag}-rc`,
      scans: 1,
      failures: 0,
    });
    const run = { branch: 'main', fileErrors: [], skipped: [] };
    (parts.status as StatusStore).provide({
      images: () => [img('team-a', '1.1.0'), img('team-b', '2.0.0')],
      imageUpdates: () => [
        { ...run, name: 'one', policyBumps: [{ policy: 'web', namespaces: ['team-a'], commit: 'a'.repeat(40), at: T(1), tag: '1.0.0' }] },
        {
          ...run,
          name: 'two',
          policyBumps: [
            { policy: 'web', namespaces: ['team-a'], commit: 'b'.repeat(40), at: T(2), tag: '1.1.0' },
            { policy: 'web', namespaces: ['team-b'], commit: 'c'.repeat(40), at: T(3) },
          ],
        },
      ],
    });
    const url = await serve(parts);
    const m = (await (await fetch(`${url}/ui/api/overview`)).json()) as OverviewModel;
    expect(m.images.map((i) => [i.namespaces, i.currentTag, i.newestSeen, i.lastBump])).toEqual([
      [['team-a'], '1.1.0', '1.1.0-rc', { commit: 'b'.repeat(40), at: T(2), automation: 'two', tag: '1.1.0' }],
      [['team-b'], '2.0.0', '2.0.0-rc', { commit: 'c'.repeat(40), at: T(3), automation: 'two' }],
    ]);
    const html = await (await fetch(`${url}/`)).text();
    expect(html.match(/data-testid="last-bump"><code title="([0-9a-f]+)"/g)?.map((x) => x.slice(-41, -1))).toEqual([
      'b'.repeat(40),
      'c'.repeat(40),
    ]);
  });

  it('past 30 refused tokens in a minute, even the right one is refused until the minute is over (no TokenReview flood)', async () => {
    process.env.UI_UNIT_TOKEN = 's3cret-token-value';
    const url = await serve(setup('0.0.0.0:9797', { enabled: true, tokenFrom: { env: 'UI_UNIT_TOKEN' } }).parts);
    const as = (t: string) => fetch(`${url}/ui/api/overview`, { headers: { authorization: `Bearer ${t}` } });
    expect((await as('s3cret-token-value')).status).toBe(200);
    for (let i = 0; i < 30; i++) expect((await as(`guess-${i}`)).status).toBe(401);
    expect((await as('s3cret-token-value')).status).toBe(401);
  });

  it('first load ≤ 100 KB compressed: the page plus its one script, gzipped as served', async () => {
    const { bus, parts } = setup('127.0.0.1:9797');
    const url = await serve(parts);
    bus.publish({
      type: 'sync.applied',
      sync: 'apps',
      revision: REV,
      at: new Date().toISOString(),
      objects: 3,
      changes: { created: 3, configured: 0, unchanged: 0, deleted: 0, skipped: 0 },
      pruned: 0,
      decryptedFiles: 1,
      warnings: [],
      durationMs: 5,
    });
    const page = await fetch(`${url}/`, { headers: { 'accept-encoding': 'gzip' } });
    const html = await page.text();
    const script = /<script src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/ui\/app\.js\?v=[0-9a-f]{16}$/);
    const js = await fetch(`${url}${script}`);
    expect(js.headers.get('content-encoding')).toBe('gzip');
    const jsText = await js.text();
    // What went over the wire: fetch decompresses, so compress the same bytes again as the server does.
    const htmlGz = gzipSync(html).length;
    const jsGz = gzipSync(jsText, { level: 9 }).length;
    console.log(
      `[figure] ui first load: HTML ${html.length} B (${htmlGz} B gzip) + script ${jsText.length} B (${jsGz} B gzip) = ${htmlGz + jsGz} B compressed`,
    );
    expect(htmlGz + jsGz).toBeLessThanOrEqual(100 * 1024);
    // Nothing is fetched from elsewhere: no absolute URL in the page's src/href attributes.
    expect(html.match(/(?:src|href)="(?!\/|#|data:)[^"]*"/g) ?? []).toEqual([]);
  });
});

describe('stateOf', () => {
  const T = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  it('applied, applying, failing, never applied; a Helm identity unlike the commit attempted is still applied', () => {
    expect(stateOf({})).toBe('never-applied');
    expect(stateOf({ lastAttemptAt: T(1) })).toBe('pending');
    expect(stateOf({ lastAttemptAt: T(1), lastAppliedAt: T(2), appliedRevision: `${REV}@chart-1.2.3` })).toBe('applied');
    expect(stateOf({ lastAttemptAt: T(3), lastAppliedAt: T(2), appliedRevision: REV })).toBe('pending');
    expect(
      stateOf({ lastAttemptAt: T(3), lastAppliedAt: T(2), appliedRevision: REV, lastError: { stage: 'decrypt', message: 'x', at: T(3) } }),
    ).toBe('failing');
  });
});

describe('isLoopbackListen', () => {
  it.each([
    ['127.0.0.1:9797', true],
    ['127.1.2.3:0', true],
    ['localhost:9797', true],
    ['[::1]:9797', true],
    ['0.0.0.0:9797', false],
    [':9797', false],
    ['[::]:9797', false],
    ['10.0.0.5:9797', false],
    ['127.0.0.1.nip.io:9797', false],
  ])('%s → %s', (listen, loopback) => {
    expect(isLoopbackListen(listen)).toBe(loopback);
  });
});
