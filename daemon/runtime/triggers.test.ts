import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../http/index.js';
import type { Revision } from '../source/index.js';
import { reconcileRoutes } from './triggers.js';

/** An empty revision: the route only hands it over. */
const REV: Revision = {
  commit: 'a'.repeat(40),
  ref: 'refs/heads/main',
  listFiles: async () => [],
  readFile: async () => new Uint8Array(),
  readFiles: async () => [],
};
const calls: string[] = [];
let leading = true;
const ignored: string[] = [];
let srv: HttpServer;

beforeAll(async () => {
  const source = (name: string, lastRevision: Revision | undefined) => ({
    lastRevision,
    trigger: async (): Promise<void> => void calls.push(`fetch ${name}`),
  });
  const sources = new Map([
    ['fetched', source('fetched', REV)],
    ['fresh', source('fresh', undefined)],
  ]);
  const syncs = new Map([
    [
      'apps',
      {
        spec: { source: 'fetched' },
        reconcile: async (r: Revision): Promise<void> => void calls.push(`reconcile apps ${r.commit.slice(0, 4)}`),
      },
    ],
    ['new', { spec: { source: 'fresh' }, reconcile: async (): Promise<void> => void calls.push('reconcile new') }],
  ]);
  const gate = (what: string, fn: () => void): void => (leading ? fn() : void ignored.push(what));
  srv = await startHttpServer('127.0.0.1:0', [reconcileRoutes({ sources, syncs }, gate)]);
});
afterAll(async () => {
  await srv.close();
});

const post = async (path: string): Promise<[number, unknown]> => {
  const r = await fetch(`${srv.url}${path}`, { method: 'POST' });
  return [r.status, await r.json()];
};

describe('POST /reconcile/<sync>', () => {
  it("reconciles the source's last revision again, or fetches first when there is none: 202", async () => {
    calls.length = 0;
    expect(await post('/reconcile/apps')).toEqual([202, { accepted: true }]);
    expect(await post('/reconcile/new')).toEqual([202, { accepted: true }]);
    expect(calls).toEqual(['reconcile apps aaaa', 'fetch fresh']);
  });

  it('an unknown or malformed sync name is 404 and runs nothing', async () => {
    calls.length = 0;
    expect(await post('/reconcile/nope')).toEqual([404, { error: 'no such sync' }]);
    expect(await post('/reconcile/%zz')).toEqual([404, { error: 'no such sync' }]);
    expect(calls).toEqual([]);
  });

  it('a follower accepts (the sender cannot know who leads) but runs nothing', async () => {
    calls.length = 0;
    leading = false;
    try {
      expect(await post('/reconcile/apps')).toEqual([202, { accepted: true }]);
    } finally {
      leading = true;
    }
    expect(calls).toEqual([]);
    expect(ignored).toEqual(['reconcile request for sync apps']);
  });
});
