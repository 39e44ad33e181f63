// Debian's Chromium (/usr/bin/chromium, installed by test/stack/build/chromium.sh) driven by
// playwright-core: no browser is ever downloaded. Each launch gets a fresh profile directory,
// removed on close. The background-networking flags matter here: without them Chromium's own
// connections (updates, sync, field trials) are refused on this network and end up as errors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** A new tab whose console errors and page errors are collected into `errors`. */
  page(opts?: { colorScheme?: 'light' | 'dark' }): Promise<Page>;
  /** Console errors and uncaught page errors of every tab, as text. */
  errors: string[];
  close(): Promise<void>;
}

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: run test/stack/install.sh (it installs Debian's chromium)`;
}

export async function launchBrowser(
  opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const profile = mkdtempSync(join(tmpdir(), 'gitops-seal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
  });
  const errors: string[] = [];
  const watch = (p: Page): void => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error on ${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`page error on ${p.url()}: ${e.message}`));
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    errors,
    page: async (o = {}) => {
      const p = await context.newPage();
      if (o.colorScheme) await p.emulateMedia({ colorScheme: o.colorScheme });
      return p;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
