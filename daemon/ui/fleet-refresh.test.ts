// Under --shards the page's status is the fleet's, and a sync another replica owns changes there
// without any event on this replica's bus. Here the "fleet" is a real StatusStore that follows a
// bus of its own (the peer's), which the page's bus never sees: only the periodic refresh can
// bring its changes to the open streams. Also: one status read per refresh for all open views,
// nothing pushed while nothing changed, no reads while no page is open, and the refreshed
// models pass the same redaction as every other.
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { startHttpServer, type HttpServer } from '../http/index.js';
import { createLogger } from '../log.js';
import { StatusStore } from '../status/index.js';
import { uiRoutes, type UiParts } from './index.js';
import type { OverviewModel, SyncModel } from './web/model.js';
import { eventually } from '../../test/e2e/harness.js';
import { openEventStream, type EventStream } from '../../test/support/event-stream.js';
import { TextCapture } from '../../test/support/text-capture.js';

const REV_1 = '1'.repeat(40);
const REV_2 = '2'.repeat(40);
const AGE_KEY = 'AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSKZ6JH3';
const REFRESH_MS = 200;

let server: HttpServer | undefined;
const streams: EventStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  await server?.close();
  server = undefined;
});

/** The page of this replica over a "fleet" status that only the peer's bus changes. */
async function servePage(
  fleetRefreshMs: number | undefined,
): Promise<{ url: string; peer: EventBus; local: EventBus; reads: () => number }> {
  const peer = new EventBus();
  const fleet = new StatusStore({
    sources: [{ name: 'repo', url: 'https://git.example/fleet.git' }],
    syncs: [{ name: 'apps', source: 'repo' }],
  });
  fleet.follow(peer);
  let reads = 0;
  const local = new EventBus();
  const parts: UiParts = {
    config: {
      metadata: { name: 'test' },
      spec: {
        sources: [{ name: 'repo', url: 'https://git.example/fleet.git', ref: { branch: 'main' } }],
        syncs: [{ name: 'apps', source: 'repo', path: 'apps' }],
      },
    },
    listen: '127.0.0.1:9797',
    status: {
      snapshot: async () => {
        reads++;
        return fleet.snapshot();
      },
    },
    bus: local,
    log: createLogger({ destination: new TextCapture(), level: 'warn' }),
    syncs: () => new Map(),
    drift: () => new Map(),
    sources: () => new Map(),
    homeKube: () => Promise.reject(new Error('no cluster in a unit test')),
    ...(fleetRefreshMs ? { fleetRefreshMs } : {}),
  };
  const routes = uiRoutes(parts);
  if (!routes) throw new Error('ui disabled');
  server = await startHttpServer('127.0.0.1:0', [routes]);
  return { url: server.url, peer, local, reads: () => reads };
}

async function open(url: string): Promise<EventStream> {
  const s = await openEventStream(url);
  streams.push(s);
  await eventually('the first model', async () => (s.models().length > 0 ? true : undefined), 10_000, 20);
  return s;
}

const applied = (revision: string) =>
  ({
    type: 'sync.applied',
    sync: 'apps',
    revision,
    at: new Date().toISOString(),
    objects: 3,
    changes: { created: 0, configured: 3, unchanged: 0, skipped: 0, deleted: 0 },
    pruned: 0,
    decryptedFiles: 0,
    warnings: [],
    durationMs: 5,
  }) as const;

const revisionOn = (s: EventStream): string | undefined => {
  const m = s.models<OverviewModel | SyncModel>().at(-1);
  return m?.page === 'overview' ? m.syncs[0]?.revision : m?.page === 'sync' ? m.sync.revision : undefined;
};

describe('web page under --shards: refreshed from the fleet status', () => {
  it("a peer's change reaches every open stream, one fleet read per refresh for all of them", async () => {
    const page = await servePage(REFRESH_MS);
    page.peer.publish(applied(REV_1));
    const views = [await open(`${page.url}/ui/events`), await open(`${page.url}/ui/events`), await open(`${page.url}/ui/events?sync=apps`)];
    await eventually('revision 1 everywhere', async () => (views.every((s) => revisionOn(s) === REV_1) ? true : undefined), 10_000, 20);

    // No event on this replica's bus: only the refresh can show it.
    page.peer.publish(applied(REV_2));
    await eventually('revision 2 everywhere', async () => (views.every((s) => revisionOn(s) === REV_2) ? true : undefined), 10_000, 20);

    // Nothing changes now: the overview streams get nothing new, and the reads stay about one per
    // refresh (two views unshared would make it three: the refresh's own read and one per view).
    const overviewFrames = views.slice(0, 2).map((s) => s.models().length);
    const before = page.reads();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10 * REFRESH_MS));
    const ticks = Math.floor((performance.now() - t0) / REFRESH_MS) + 1;
    const reads = page.reads() - before;
    console.log(`[ui] fleet refresh: ${reads} status reads in ${ticks} refresh periods, 2 views, 3 streams`);
    // (Half again for builds that start over a second late under load and read again.)
    expect(reads).toBeLessThanOrEqual(Math.ceil(1.5 * ticks) + 1);
    expect(views.slice(0, 2).map((s) => s.models().length)).toEqual(overviewFrames);
  }, 30_000);

  it('a local event reads the fleet again: the shared read never hides the change the event announced', async () => {
    // A refresh period far beyond the test: only the local event can bring the change.
    const page = await servePage(600_000);
    const s = await open(`${page.url}/ui/events`);
    page.peer.publish(applied(REV_1));
    page.local.publish({ type: 'source.failed', source: 'repo', at: new Date().toISOString(), message: 'unreachable' });
    await eventually('revision 1 after the local event', async () => (revisionOn(s) === REV_1 ? true : undefined), 10_000, 20);
  }, 30_000);

  it('reads nothing while no page is open, and keeps reading only while one is', async () => {
    const page = await servePage(REFRESH_MS);
    await new Promise((r) => setTimeout(r, 3 * REFRESH_MS));
    expect(page.reads()).toBe(0);
    const s = await open(`${page.url}/ui/events`);
    await eventually('refreshed', async () => (page.reads() >= 3 ? true : undefined), 10_000, 20);
    s.stop();
    // The server notices the closed stream, then the reads stop.
    await eventually(
      'no more reads',
      async () => {
        const n = page.reads();
        await new Promise((r) => setTimeout(r, 3 * REFRESH_MS));
        return page.reads() === n ? true : undefined;
      },
      10_000,
      0,
    );
  }, 30_000);

  it('without --shards nothing polls: the local bus is the only trigger', async () => {
    const page = await servePage(undefined);
    await open(`${page.url}/ui/events`);
    const n = page.reads();
    await new Promise((r) => setTimeout(r, 5 * REFRESH_MS));
    expect(page.reads()).toBe(n);
  }, 30_000);

  it("a peer's refusal carrying a secret-shaped string arrives redacted", async () => {
    const page = await servePage(REFRESH_MS);
    const s = await open(`${page.url}/ui/events`);
    page.peer.publish({
      type: 'sync.refused',
      sync: 'apps',
      revision: REV_2,
      at: new Date().toISOString(),
      stage: 'decrypt',
      message: `apps/db.sops.yaml: no key could open it; tried ${AGE_KEY}`,
      decryptFailures: [],
      durationMs: 1,
    });
    await eventually('the refusal', async () => (s.text.includes('no key could open it') ? true : undefined), 10_000, 20);
    expect(s.text).not.toContain(AGE_KEY);
    expect(s.text).toContain('[REDACTED]');
  }, 30_000);
});
