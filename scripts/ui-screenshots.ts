// Regenerates the web page's screenshots in docs/ui/ (light and dark, desktop and phone) with
// Debian's Chromium. Two sources:
//   npx tsx scripts/ui-screenshots.ts                 the page's own routes on loopback, fed a
//                                                     fixed story through the real event bus and
//                                                     StatusStore (no stack needed: repeatable)
//   npx tsx scripts/ui-screenshots.ts --url URL [--sync NAME]   a running daemon (the demo's)
// The fixture's sync runtime answers with fixed objects: a screenshot fixture, not a test.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventBus, type DaemonEvent } from '../daemon/events/index.js';
import { startHttpServer } from '../daemon/http/index.js';
import type { KubeObject } from '../daemon/kube/types.js';
import { createLogger } from '../daemon/log.js';
import { StatusStore } from '../daemon/status/index.js';
import { uiRoutes, type UiParts } from '../daemon/ui/index.js';
import { launchBrowser } from '../test/support/browser.js';
import { TextCapture } from '../test/support/text-capture.js';
import { ensureUiBundle } from '../test/support/ui-bundle.js';

const OUT = fileURLToPath(new URL('../docs/ui/', import.meta.url));

const obj = (apiVersion: string, kind: string, namespace: string, name: string, extra: object = {}): KubeObject =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra }) as KubeObject;

const OBJECTS: KubeObject[] = [
  obj('v1', 'Namespace', '', 'web'),
  obj('apps/v1', 'Deployment', 'web', 'podinfo', {
    status: { replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
  }),
  obj('v1', 'Service', 'web', 'podinfo'),
  obj('v1', 'ConfigMap', 'web', 'podinfo-settings'),
  obj('v1', 'Secret', 'web', 'db-credentials', { data: { username: 'x', password: 'x' } }),
  obj('apps/v1', 'Deployment', 'worker', 'worker', {
    status: { replicas: 2, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 2 },
  }),
  obj('v1', 'ConfigMap', 'worker', 'worker-settings'),
];

/** The page's routes on loopback, fed a fixed story; resolves with its URL and a stop function. */
async function fixture(): Promise<{ url: string; stop: () => Promise<void> }> {
  const bus = new EventBus();
  const sources = [{ name: 'fleet', url: 'https://git.example.com/acme/fleet.git', ref: { branch: 'main' } }];
  const syncs = [
    { name: 'apps', source: 'fleet', path: 'apps', decryption: { age: {} } },
    { name: 'platform', source: 'fleet', path: 'platform', decryption: { vault: {} } },
  ];
  const status = new StatusStore({ sources, syncs });
  status.follow(bus);
  status.provide({
    images: () => [
      {
        name: 'podinfo',
        image: 'ghcr.io/stefanprodan/podinfo',
        chosenTag: '6.7.1',
        latestTag: '6.7.1',
        lastScanAt: at(-20),
        scans: 40,
        failures: 0,
      },
    ],
    imageUpdates: () => [
      {
        name: 'apps',
        branch: 'main',
        lastRunAt: at(-20),
        lastReason: 'pushed',
        lastPushedCommit: 'c0ffee'.padEnd(40, '1'),
        lastPushedAt: at(-300),
        fileErrors: [],
        skipped: [],
        policyBumps: [{ policy: 'podinfo', namespaces: [], commit: 'c0ffee'.padEnd(40, '1'), at: at(-300), tag: '6.7.1' }],
      },
    ],
  });
  const live = new Map<string, KubeObject>(OBJECTS.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
  const manager = {
    locate: async (o: KubeObject) => ({ mapping: { kind: o.kind } as never, namespace: o.metadata.namespace ?? '', path: '' }),
    listLive: async (mapping: { kind: string }, namespace: string) =>
      new Map(
        [...live.values()]
          .filter((o) => o.kind === mapping.kind && (o.metadata.namespace ?? '') === namespace)
          .map((o) => [o.metadata.name ?? '', o]),
      ),
  };
  const parts: UiParts = {
    config: { metadata: { name: 'production' }, spec: { sources, syncs } },
    listen: '127.0.0.1:0',
    status,
    bus,
    log: createLogger({ destination: new TextCapture(), level: 'warn' }),
    syncs: () => new Map([['apps', { lastGood: { objects: OBJECTS }, manager: manager as never }]]),
    drift: () => new Map([['apps', { lastCorrected: new Map([['ConfigMap/web/podinfo-settings', at(-90)]]) }]]),
    sources: () => new Map(),
    homeKube: () => Promise.reject(new Error('no cluster')),
  };
  await ensureUiBundle();
  const routes = uiRoutes(parts);
  if (!routes) throw new Error('ui disabled');
  const server = await startHttpServer('127.0.0.1:0', [routes]);
  const rev = (c: string): string => c.repeat(40);
  const story: DaemonEvent[] = [
    {
      type: 'source.fetched',
      source: 'fleet',
      commit: rev('a'),
      ref: 'refs/heads/main',
      fetches: 1,
      skippedFetches: 0,
      thinPackFallbacks: 0,
      at: at(-600),
    },
    applied('apps', rev('a'), -598, 7),
    applied('platform', rev('a'), -597, 12),
    { type: 'drift.corrected', sync: 'apps', objects: 1, at: at(-90) },
    {
      type: 'source.fetched',
      source: 'fleet',
      commit: rev('b'),
      ref: 'refs/heads/main',
      fetches: 2,
      skippedFetches: 3,
      thinPackFallbacks: 0,
      at: at(-30),
    },
    applied('apps', rev('b'), -29, 7),
    { type: 'sync.started', sync: 'platform', revision: rev('b'), at: at(-29) },
    {
      type: 'sync.refused',
      sync: 'platform',
      revision: rev('b'),
      at: at(-28),
      stage: 'decrypt',
      message: `sync "platform" revision ${rev('b').slice(0, 12)} refused at decrypt: platform/vault-token.sops.yaml: tampered or corrupted (MAC mismatch)`,
      decryptFailures: ['tampered'],
      durationMs: 41,
    },
  ];
  for (const e of story) bus.publish(e);
  return { url: server.url, stop: () => server.close() };
}

function at(secondsFromNow: number): string {
  return new Date(Date.now() + secondsFromNow * 1000).toISOString();
}

function applied(sync: string, revision: string, s: number, objects: number): DaemonEvent {
  return {
    type: 'sync.applied',
    sync,
    revision,
    at: at(s),
    objects,
    changes: { created: 0, configured: 1, unchanged: objects - 1, deleted: 0, skipped: 0 },
    pruned: 0,
    decryptedFiles: 1,
    warnings: [],
    durationMs: 310,
  };
}

const { values } = parseArgs({ options: { url: { type: 'string' }, sync: { type: 'string' } } });
const fix = values.url ? undefined : await fixture();
const url = values.url ?? fix?.url ?? '';
const sync = values.sync ?? (values.url ? 'demo-fleet' : 'apps');
mkdirSync(OUT, { recursive: true });
const browser = await launchBrowser();
try {
  for (const scheme of ['light', 'dark'] as const) {
    const page = await browser.page({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${url}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(OUT, `overview-${scheme}.png`), fullPage: true });
    await page.goto(`${url}/syncs/${encodeURIComponent(sync)}`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(OUT, `sync-${scheme}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${url}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(OUT, `phone-${scheme}.png`) });
    await page.close();
  }
  if (browser.errors.length) throw new Error(`console errors: ${browser.errors.join('; ')}`);
  console.log(`[ui-screenshots] ${OUT}: overview, sync and phone, light and dark`);
} finally {
  await browser.close();
  await fix?.stop();
}
