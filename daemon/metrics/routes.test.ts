import { describe, expect, it } from 'vitest';
import { sampleValue } from '../../test/support/exposition.js';
import { startHttpServer } from '../http/index.js';
// Through the door, as the daemon does: importing the index registers every metric.
import { metricsRoutes, type SyncRow, type SyncRows } from './index.js';

const rows = (...syncs: SyncRow[]): SyncRows => ({ syncList: () => syncs });

describe('GET /metrics', () => {
  it("serves the process registry with this store's syncs while the server is up", async () => {
    const store = rows({ name: 'srv-a', source: 'repo', appliedRevision: 'c'.repeat(40), objects: 12, driftCorrections: 0 });
    const srv = await startHttpServer('127.0.0.1:0', [metricsRoutes(store)]);
    try {
      const res = await fetch(`${srv.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const body = await res.text();
      expect(sampleValue(body, 'gitops_seal_objects_managed', { sync: 'srv-a' })).toBe(12);
      expect(sampleValue(body, 'gitops_seal_sync_revision_info', { sync: 'srv-a', source: 'repo', revision: 'c'.repeat(40) })).toBe(1);
      expect((await fetch(`${srv.url}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await srv.close();
    }
    // Closed: the store is no longer exported (seen through a second server on another store).
    const other = await startHttpServer('127.0.0.1:0', [metricsRoutes(rows())]);
    try {
      expect(
        sampleValue(await (await fetch(`${other.url}/metrics`)).text(), 'gitops_seal_objects_managed', { sync: 'srv-a' }),
      ).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
