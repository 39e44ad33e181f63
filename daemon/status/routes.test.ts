import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { startHttpServer } from '../http/index.js';
import { statusRoutes } from './routes.js';
import { StatusStore } from './store.js';

describe('status routes', () => {
  it('/healthz always, /readyz once every sync applied, /status the document', async () => {
    const bus = new EventBus();
    const store = new StatusStore({ syncs: [{ name: 'apps', source: 'repo' }] });
    store.follow(bus);
    const srv = await startHttpServer('127.0.0.1:0', [statusRoutes(store)]);
    try {
      const get = async (p: string): Promise<[number, string]> => {
        const r = await fetch(`${srv.url}${p}`);
        return [r.status, await r.text()];
      };
      expect(await get('/healthz')).toEqual([200, 'ok']);
      expect(await get('/readyz')).toEqual([503, 'not ready: no revision applied yet']);
      bus.publish({
        type: 'sync.applied',
        sync: 'apps',
        revision: 'a'.repeat(40),
        at: new Date().toISOString(),
        objects: 1,
        changes: { created: 1, configured: 0, unchanged: 0, deleted: 0, skipped: 0 },
        pruned: 0,
        decryptedFiles: 0,
        warnings: [],
        durationMs: 1,
      });
      expect(await get('/readyz')).toEqual([200, 'ok']);
      const r = await fetch(`${srv.url}/status`);
      expect(r.headers.get('content-type')).toBe('application/json');
      const doc = (await r.json()) as { syncs: { appliedRevision?: string; history?: unknown[] }[] };
      expect(doc.syncs[0]?.appliedRevision).toBe('a'.repeat(40));
      expect(doc.syncs[0]?.history).toHaveLength(1);
      expect((await fetch(`${srv.url}/status`, { method: 'POST' })).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
});
