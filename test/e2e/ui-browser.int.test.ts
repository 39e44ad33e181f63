// The web status page in a real browser (Debian's Chromium through playwright-core) against the
// daemon on the real stack: git server → daemon → kube-apiserver, the page served by the
// daemon's own listener. What a user sees: the overview lists the syncs; a commit shows up
// applied without a reload; a `kubectl edit` shows a drift correction; a tampered SOPS file
// shows the refused revision naming the file; no console errors. The token rule beyond
// loopback is ui-access.int.test.ts.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { eventually, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { launchBrowser, type Browser } from '../support/browser.js';

const stack = inject('stack');
const run = promisify(execFile);
const HOOK = 'ui-e2e-hook-secret';
const NS = `ui-e2e-${Date.now().toString(36)}`;
/** Unique sync names: inventories of other runs live in the shared cluster under the sync's name. */
const WEB = NS;
const EMPTY = `${NS}-empty`;
const CANARY = `canary-ui-${Math.random().toString(36).slice(2)}`;

const cm = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n  k: "${value}"\n`;

describe('web status page in Chromium', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let browser: Browser;
  let page: Page;
  let secretYaml: string;

  const status = () => d.daemon.status.snapshot().syncs.find((s) => s.name === WEB)!;
  const poke = async (sha: string): Promise<void> => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
    const sig = 'sha256=' + createHmac('sha256', HOOK).update(body).digest('hex');
    const r = await fetch(`${d.url}/hooks/repo`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'x-hub-signature-256': sig, 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
  };

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.UI_E2E_HOOK = HOOK;
    repo = await WorkRepo.create(stack, `ui-e2e-${Date.now()}`);
    const id = await generateAgeIdentity();
    const idFile = join(mkdtempSync(join(tmpdir(), 'gitops-seal-ui-keys-')), 'keys.txt');
    writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
    secretYaml = await encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${NS}\nstringData:\n  password: ${CANARY}\n  user: app\n`,
      { format: 'yaml', source: 'apps/secret.yaml', keys: { age: [id.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    await repo.commit(
      {
        'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
        'apps/cm.yaml': cm('settings', 'one'),
        'apps/secret.yaml': secretYaml,
      },
      'first version of the web app',
    );
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      metadata: { name: 'ui-e2e' },
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { webhook: { type: 'github', secretFrom: { env: 'UI_E2E_HOOK' } } })],
        syncs: [
          {
            name: WEB,
            source: 'repo',
            path: 'apps',
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: { age: { identitiesFrom: [{ file: idFile }] } },
          },
          // A second sync that never applies (its path is empty): the overview lists it too.
          { name: EMPTY, source: 'repo', path: 'nothing-here', kubeconfig: { file: stack.kube.kubeconfig } },
        ],
      },
    });
    const head = await repo.head();
    await eventually('first revision applied', async () => status().appliedRevision === head, 60_000);
    browser = await launchBrowser();
    page = await browser.page();
  });

  afterAll(async () => {
    // The browser first: a page whose daemon went away would log a failed stream.
    await browser?.close();
    await d?.stop();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    for (const s of [WEB, EMPTY])
      await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
        () => '',
      );
    repo?.remove();
  });

  it('the overview lists every sync, with source, revision, commit message and decryption; server-rendered', async () => {
    const t0 = Date.now();
    await page.goto(`${d.url}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        response: Math.round(nav.responseEnd),
        dcl: Math.round(nav.domContentLoadedEventEnd),
        fcp: Math.round(fcp?.startTime ?? -1),
      };
    });
    console.log(
      `[figure] ui first render: response ${timing.response} ms, first contentful paint ${timing.fcp} ms, DOMContentLoaded ${timing.dcl} ms, live stream open ${Date.now() - t0} ms after goto`,
    );
    const web = page.locator(`[data-sync="${WEB}"]`);
    await expect(web.locator('h3').textContent()).resolves.toContain('Applied');
    const text = (await web.textContent()) ?? '';
    expect(text).toContain(repo.url.replace(/^https?:\/\/[^@]*@/, 'http://'));
    expect(text).toContain((await repo.head()).slice(0, 12));
    expect(text).toContain('first version of the web app');
    expect(text).toContain('age');
    expect(await page.locator(`[data-sync="${EMPTY}"] h3`).textContent()).toMatch(/Failing|Not applied yet/);
    // Without JavaScript the same overview is there: it is rendered by the daemon.
    const raw = await (await fetch(`${d.url}/`)).text();
    expect(raw).toContain(`data-sync="${WEB}"`);
    expect(raw).toContain(`data-sync="${EMPTY}"`);
    expect(raw).not.toContain(CANARY);
  });

  it('a commit shows up applied on the open page within 2 s, without a reload', async () => {
    await page.goto(`${d.url}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    // The DOM change is stamped in the page (wall clock) the moment the new revision appears.
    const sha = await repo.commit({ 'apps/cm.yaml': cm('settings', 'two') }, 'second version: settings two');
    const appliedAt = new Promise<number>((resolve) => {
      const off = d.daemon.bus.on({
        'sync.applied': (e) => {
          if (e.sync === WEB && e.revision === sha) {
            off();
            resolve(Date.now());
          }
        },
      });
    });
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const shownAt = page.evaluate(
      ([short, web]) =>
        new Promise<number>((resolve) => {
          const seen = (): boolean =>
            !!document.querySelector(`[data-sync="${web}"] [data-testid="revision"]`)?.textContent?.includes(short);
          new MutationObserver(() => seen() && resolve(Date.now())).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
          });
        }),
      [sha.slice(0, 12), WEB] as const,
    );
    const t0 = Date.now();
    await poke(sha);
    const shown = await shownAt;
    const applied = await appliedAt;
    console.log(`[figure] ui: commit (webhook) → shown applied ${shown - t0} ms; daemon applied → page shows it ${shown - applied} ms`);
    expect(shown - applied).toBeLessThan(1000);
    expect(shown - t0).toBeLessThan(2000);
    expect(navigations).toEqual([]);
    expect(await page.locator(`[data-sync="${WEB}"]`).textContent()).toContain('second version: settings two');
  });

  it('a kubectl edit shows a drift correction on the sync page', async () => {
    await page.goto(`${d.url}/syncs/${WEB}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const before = Number(await page.locator('[data-testid="drift"]').textContent());
    // A real `kubectl edit`, its editor a sed that changes the value.
    await run(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, 'edit', 'configmap', 'settings', '-n', NS], {
      env: { ...process.env, KUBE_EDITOR: 'sed -i s/two/edited-by-hand/' },
    });
    await page.locator('[data-testid="drift"]', { hasText: String(before + 1) }).waitFor({ timeout: 15_000 });
    const row = page.locator(`[data-object="ConfigMap/${NS}/settings"]`);
    await row.getByText('drift corrected').waitFor({ timeout: 5_000 });
    expect(await page.locator('.feed').textContent()).toContain('drifted object re-applied');
    // Objects are grouped by kind and namespace, with health; the Secret by name and key names only.
    const secretRow = page.locator(`[data-object="Secret/${NS}/db"]`);
    expect(await secretRow.textContent()).toMatch(/Ready.*keys: password user/s);
    expect(await page.content()).not.toContain(CANARY);
  });

  it('a tampered SOPS file shows the refused revision, naming the file, in the card and the history', async () => {
    await page.goto(`${d.url}/syncs/${WEB}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const data = /password: ENC\[AES256_GCM,data:([^,]+),/.exec(secretYaml)?.[1] ?? '';
    const tampered = secretYaml.replace(data, (data[0] === 'A' ? 'B' : 'A') + data.slice(1));
    const sha = await repo.commit({ 'apps/secret.yaml': tampered }, 'tampered secret');
    await poke(sha);
    const alert = page.locator('.failing');
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toMatch(/Refused at stage decrypt.*apps\/secret\.yaml.*tampered or corrupted/s);
    const refusedRow = page.locator('.history tr.h-refused').first();
    expect(await refusedRow.textContent()).toContain(sha.slice(0, 12));
    expect(await refusedRow.textContent()).toContain('apps/secret.yaml');
    // The last good revision stays applied, and the history shows it under the refusal.
    expect(await page.locator('.history tr.h-applied').first().textContent()).toContain(status().appliedRevision!.slice(0, 12));
  });

  it('readable on a phone (no sideways scrolling) and dark when the system is', async () => {
    const phone = await browser.page({ colorScheme: 'dark' });
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', `/syncs/${WEB}`]) {
      await phone.goto(`${d.url}${path}`);
      await phone.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
    }
    const bg = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(18, 20, 23)');
    await phone.close();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(247, 247, 248)');
  });

  it('keyboard: Tab reaches the skip link first and the sync links; no console errors anywhere', async () => {
    await page.goto(`${d.url}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.push((await page.evaluate(() => document.activeElement?.getAttribute('href'))) ?? '');
    }
    expect(reached).toContain(`/syncs/${WEB}`);
    await page.keyboard.press('Escape');
    expect(browser.errors).toEqual([]);
  });
});
