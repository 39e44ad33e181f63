// The web page beyond loopback, on the real stack: a daemon listening on 0.0.0.0 requires a
// bearer token for the page and its data — the token of spec.ui.tokenFrom, or a Kubernetes
// token the real kube-apiserver's TokenReview accepts (limited to one group here) — while
// /healthz, /readyz, /metrics, /status and /hooks keep their own rules. Then the sign-in form
// in Chromium, reached through a non-loopback address of this machine when there is one.
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import { eventually, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { launchBrowser, type Browser } from '../support/browser.js';

const stack = inject('stack');
const TOKEN = `ui-token-${Math.random().toString(36).slice(2)}`;
const NS = `ui-access-${Date.now().toString(36)}`;
const OTHER_NS = `${NS}-other`;
/** Unique: inventories of other runs live in the shared cluster under the sync's name. */
const SYNC = NS;

/** A non-loopback IPv4 address of this machine (undefined on a machine with none). */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

describe('web page beyond loopback: token required', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let home: KubeClient;
  let base: string;
  let saToken: string;
  let otherToken: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.UI_ACCESS_TOKEN = TOKEN;
    repo = await WorkRepo.create(stack, `ui-access-${Date.now()}`);
    for (const ns of [NS, OTHER_NS]) {
      await kubectl(stack, ['create', 'namespace', ns]);
      await kubectl(stack, ['create', 'serviceaccount', 'viewer', '-n', ns]);
    }
    await repo.commit(
      { 'apps/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: ${NS}\ndata: {a: b}\n` },
      'a ConfigMap',
    );
    saToken = (await kubectl(stack, ['create', 'token', 'viewer', '-n', NS])).trim();
    otherToken = (await kubectl(stack, ['create', 'token', 'viewer', '-n', OTHER_NS])).trim();
    home = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    d = await startDaemon(
      {
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: {
          sources: [gitSourceConfig(stack, 'repo', repo.url)],
          syncs: [{ name: SYNC, source: 'repo', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
          ui: {
            tokenFrom: { env: 'UI_ACCESS_TOKEN' },
            tokenReview: { groups: [`system:serviceaccounts:${NS}`] },
          },
        },
      },
      { daemon: { listen: '0.0.0.0:0', leaderElectionKube: home } },
    );
    const port = new URL(d.url).port;
    base = `http://${outsideAddress() ?? '127.0.0.1'}:${port}`;
    const head = await repo.head();
    await eventually(
      'applied',
      async () => {
        const s = d.daemon.status.snapshot().syncs[0];
        if (s?.lastError) throw new Error(s.lastError.message);
        return s?.appliedRevision === head;
      },
      60_000,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    home?.close();
    for (const ns of [NS, OTHER_NS]) await kubectl(stack, ['delete', 'namespace', ns, '--wait=false']).catch(() => '');
    await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${SYNC}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
      () => '',
    );
    repo?.remove();
  });

  const get = async (path: string, auth?: string): Promise<{ status: number; text: string; type: string }> => {
    const r = await fetch(`${base}${path}`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
    return { status: r.status, text: await r.text(), type: r.headers.get('content-type') ?? '' };
  };

  it('the page, its data and its stream answer 401 without a token; the sign-in form names no secret', async () => {
    const page = await get('/');
    expect(page.status).toBe(401);
    expect(page.text).toContain('<form class="signin"');
    expect(page.text).not.toContain('data-sync=');
    for (const p of [`/syncs/${SYNC}`, '/ui/api/overview', `/ui/api/syncs/${SYNC}`, '/ui/events'])
      expect((await get(p)).status, p).toBe(401);
    expect((await get('/', 'wrong-token')).status).toBe(401);
    // The script holds no data: it is served to anyone (the sign-in page needs none of it).
    expect((await get('/ui/app.js')).status).toBe(200);
  });

  it('/healthz, /readyz, /metrics, /status and /hooks keep their own rules', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(200);
    expect((await get('/status')).status).toBe(200);
    // No webhook configured for this source: 404 as before, not a sign-in page.
    expect((await fetch(`${base}/hooks/repo`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('the configured token opens the page and its data', async () => {
    const page = await get('/', TOKEN);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-sync="${SYNC}"`);
    const api = await get('/ui/api/overview', TOKEN);
    expect(JSON.parse(api.text)).toMatchObject({ page: 'overview', syncs: [{ name: SYNC, state: 'applied' }] });
  });

  it("a TokenReview accepts a ServiceAccount token of the allowed group, and refuses another namespace's", async () => {
    expect((await get('/ui/api/overview', saToken)).status).toBe(200);
    expect((await get('/ui/api/overview', otherToken)).status).toBe(401);
    expect((await get('/ui/api/overview', `${saToken.slice(0, -4)}AAAA`)).status).toBe(401);
  });

  it('in Chromium: the sign-in form refuses a wrong token, accepts the right one, the page goes live; Sign out ends the session', async () => {
    browser = await launchBrowser();
    const page = await browser.page();
    const res = await page.goto(`${base}/syncs/${SYNC}`);
    expect(res?.status()).toBe(401);
    await page.fill('#tok', 'not-the-token');
    await page.click('button[type=submit]');
    await page.getByText('That token was not accepted.').waitFor();
    await page.fill('#tok', saToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/syncs/${SYNC}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    expect(await page.locator(`[data-sync="${SYNC}"]`).count()).toBe(1);
    // The session cookie is HttpOnly (no script can read it) and SameSite=Strict.
    const cookies = await browser.context.cookies();
    expect(cookies.find((c) => c.name === 'gitops-seal-ui')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Sign out: a plain form button, reached with Tab from the top of the page, pressed with Enter.
    const session = cookies.find((c) => c.name === 'gitops-seal-ui')?.value ?? '';
    await page.locator('body').focus();
    let tabs = 0;
    while (tabs < 15 && (await page.evaluate(() => document.activeElement?.textContent?.trim())) !== 'Sign out') {
      await page.keyboard.press('Tab');
      tabs++;
    }
    expect(tabs, 'Tab presses to Sign out').toBeLessThan(15);
    const [back] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/`), page.keyboard.press('Enter')]);
    expect(back.status()).toBe(401);
    await page.locator('#tok').waitFor();
    // The session is over on the server, not only forgotten by this browser: the old cookie opens nothing.
    for (const p of ['/', '/ui/api/overview', `/ui/api/syncs/${SYNC}`, '/ui/events'])
      expect((await fetch(`${base}${p}`, { headers: { cookie: `gitops-seal-ui=${session}` } })).status, p).toBe(401);
    expect((await page.request.get(`${base}/ui/api/overview`)).status()).toBe(401);
    expect((await get('/ui/api/overview', saToken)).status).toBe(200);
    // The 401 answers of the sign-in round are the browser's only complaints.
    expect(browser.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    console.log(
      `[figure] ui access: page reached through ${base.includes('127.0.0.1') ? 'loopback (no other address)' : 'a non-loopback address'}`,
    );
  });
});
