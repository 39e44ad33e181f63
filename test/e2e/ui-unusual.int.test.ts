// The web page with unusual input, in Chromium against the daemon on the real stack: a sync name
// of 63 characters (dots are refused by the config before any page sees them), a Secret whose
// data key names hold ".", "_" and "-", a sync with 0 objects, a sync with 3,000 objects (HTML
// size and render time measured), a refused revision whose message carries HTML ("<script>" must
// arrive as text, never run), and a commit subject with emoji and 2,000 characters.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../daemon/config/index.js';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { eventually, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';

const stack = inject('stack');
const NS = `ui-odd-${Date.now().toString(36)}`;
/** 63 characters, the most a DNS label (and so a sync name) may have. */
const LONG = `${NS}-${'x'.repeat(61 - NS.length)}z`;
const EMPTY = `${NS}-empty`;
const BIG = `${NS}-big`;
if (LONG.length !== 63) throw new Error(`${LONG}: ${LONG.length} characters`);
const BIG_COUNT = 3000;
const CANARY = `canary-odd-${Math.random().toString(36).slice(2)}`;
const SUBJECT = `🚀 release ✨ ${'long subject '.repeat(160)}`.slice(0, 2000);
const EVIL = `<script>alert("x&y")</script>`;

function bigFile(): string {
  const docs: string[] = [];
  for (let i = 0; i < BIG_COUNT; i++)
    docs.push(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(4, '0')}\n  namespace: ${NS}\ndata:\n  i: "${i}"\n`,
    );
  return docs.join('---\n');
}

describe('web page with unusual input, in Chromium', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const sync = (name: string) => d.daemon.status.snapshot().syncs.find((s) => s.name === name);

  beforeAll(async () => {
    setGitEnv(stack);
    repo = await WorkRepo.create(stack, `ui-odd-${Date.now()}`);
    const id = await generateAgeIdentity();
    const idFile = join(mkdtempSync(join(tmpdir(), 'gitops-seal-ui-odd-')), 'keys.txt');
    writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
    const secret = await encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: odd-keys\n  namespace: ${NS}\nstringData:\n  tls.crt: ${CANARY}-1\n  db_user: ${CANARY}-2\n  api-key: ${CANARY}-3\n`,
      { format: 'yaml', source: 'keys/secret.yaml', keys: { age: [id.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    // Syncs apply side by side: the namespace exists before any of them.
    await kubectl(stack, ['create', 'namespace', NS]);
    await repo.commit({ 'keys/secret.yaml': secret, 'empty/README.md': 'nothing to apply\n', 'big/cms.yaml': bigFile() }, SUBJECT);
    const kubeconfig = { file: stack.kube.kubeconfig };
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      metadata: { name: 'ui-odd' },
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [
          { name: LONG, source: 'repo', path: 'keys', kubeconfig, decryption: { age: { identitiesFrom: [{ file: idFile }] } } },
          { name: EMPTY, source: 'repo', path: 'empty', allowEmpty: true, kubeconfig },
          { name: BIG, source: 'repo', path: 'big', kubeconfig },
        ],
      },
    });
    const head = await repo.head();
    for (const s of [LONG, EMPTY, BIG])
      await eventually(`${s} applied`, async () => sync(s)?.appliedRevision === head, 240_000, 500).catch((e: unknown) => {
        throw new Error(`${String(e)}; last error: ${sync(s)?.lastError?.message ?? 'none'}`);
      });
    browser = await launchBrowser();
    page = await browser.page();
    page.on('dialog', (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    for (const s of [LONG, EMPTY, BIG])
      await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
        () => '',
      );
    repo?.remove();
  }, 120_000);

  it('a sync name with dots never reaches the page: the config names the rule', () => {
    const yaml = `apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\nspec:\n  sources: [{name: r, url: "https://git.example/r.git", ref: {branch: main}}]\n  syncs: [{name: my.app.prod, source: r, path: apps}]\n`;
    expect(() => parseConfig(yaml, 'dots.yaml', { env: {} })).toThrow(/syncs\[0\]\.name.*must be a DNS label/s);
  });

  it('63-character name, key names with . _ -, emoji and a 2,000-character subject: readable, nothing secret', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${d.url}/`);
    const card = page.locator(`[data-sync="${LONG}"]`);
    await card.waitFor();
    // The subject is cut at 200 characters, whole emoji, no replacement character.
    const shown = (await card.locator('.msg').textContent()) ?? '';
    expect(shown.startsWith('🚀 release ✨ long subject')).toBe(true);
    expect([...shown].length).toBe(200);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).not.toMatch(/\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    // Nothing overflows a phone's width: long names and subjects wrap.
    // On failure, the elements that stick out name the culprit.
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > 391)
        .slice(0, 8)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)} px`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await card.locator('h3 a').click();
    await page.waitForURL(`${d.url}/syncs/${LONG}`);
    const keys = page.locator('[data-object$="/odd-keys"] .keys code');
    expect(await keys.allTextContents()).toEqual(['api-key', 'db_user', 'tls.crt']);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    expect(await page.content()).not.toContain(CANARY);
  });

  it('a sync with 0 objects says so', async () => {
    await page.goto(`${d.url}/syncs/${EMPTY}`);
    await page.getByText('This revision has no objects.').waitFor();
    expect(await page.locator('[data-object]').count()).toBe(0);
  });

  it('3,000 objects: the page stays small and quick, and live', async () => {
    const t0 = performance.now();
    const r = await fetch(`${d.url}/syncs/${BIG}`);
    const html = await r.text();
    const serverMs = performance.now() - t0;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${d.url}/syncs/${BIG}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1;
      return { response: n.responseEnd, dcl: n.domContentLoadedEventEnd, fcp, live: performance.now() };
    });
    expect(await page.locator('[data-object]').count()).toBe(BIG_COUNT);
    const gz = gzipSync(html).length;
    console.log(
      `[figure] ui 3,000 objects: HTML ${(html.length / 1024).toFixed(0)} KB (${(gz / 1024).toFixed(0)} KB gzip), server ${serverMs.toFixed(0)} ms; Chromium response ${nav.response.toFixed(0)} ms, FCP ${nav.fcp.toFixed(0)} ms, DCL ${nav.dcl.toFixed(0)} ms, live ${nav.live.toFixed(0)} ms`,
    );
    expect(gz).toBeLessThan(300 * 1024);
    expect(nav.dcl).toBeLessThan(10_000);
  });

  it('a refused revision whose message carries <script>: shown as text, never run, on the page and after a live update', async () => {
    await page.goto(`${d.url}/syncs/${LONG}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    // An object name the apiserver refuses; its answer quotes the name back.
    await repo.commit(
      { 'keys/evil.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '${EVIL}'\n  namespace: ${NS}\n` },
      `a name with ${EVIL}`,
    );
    await d.daemon.sources.get('repo')?.trigger();
    const failing = page.locator('.failing pre');
    await failing.waitFor({ timeout: 60_000 }).catch((e: unknown) => {
      throw new Error(`${String(e)}; the sync's last error: ${sync(LONG)?.lastError?.message ?? 'none'}`);
    });
    console.log(`[ui-unusual] refused revision: ${sync(LONG)?.lastError?.message ?? 'none'}`);
    expect(await failing.textContent()).toContain(EVIL);
    const source = await (await fetch(`${d.url}/syncs/${LONG}`)).text();
    // Text is escaped where HTML needs it: `<` and `&` (preact-render-to-string leaves `>` as is).
    expect(source).toMatch(/&lt;script(&gt;|>)alert\(&quot;x&amp;y&quot;\)&lt;\/script/);
    expect(source).not.toContain(EVIL);
    await page.reload();
    await page.locator('.failing pre').waitFor();
    expect(dialogs).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
