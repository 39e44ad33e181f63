import { describe, expect, it } from 'vitest';
import { sampleValue } from '../../test/support/exposition.js';
import { startServer } from './server.js';
import { StatusStore } from './status.js';

describe('status server /metrics', () => {
  it('serves the process registry with this store\'s syncs while it is up', async () => {
    const status = new StatusStore();
    Object.assign(status.sync('srv-a', 'repo'), { appliedRevision: 'c'.repeat(40), objects: 12 });
    const srv = await startServer('127.0.0.1:0', { status, hooks: new Map() });
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
    const other = await startServer('127.0.0.1:0', { status: new StatusStore(), hooks: new Map() });
    try {
      expect(sampleValue(await (await fetch(`${other.url}/metrics`)).text(), 'gitops_seal_objects_managed', { sync: 'srv-a' })).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('a /metrics route given by the caller replaces the default', async () => {
    const routes = new Map([['/metrics', async () => ({ contentType: 'text/plain', body: 'custom 1\n' })]]);
    const srv = await startServer('127.0.0.1:0', { status: new StatusStore(), hooks: new Map(), routes });
    try {
      expect(await (await fetch(`${srv.url}/metrics`)).text()).toBe('custom 1\n');
    } finally {
      await srv.close();
    }
  });
});
