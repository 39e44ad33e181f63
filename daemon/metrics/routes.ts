// GET /metrics: the process registry in Prometheus text format, with the per-sync gauges of
// `store` while the server is up. Take it from the folder's door (index.ts): importing the index
// is what registers every metric.
import type { RouteSet } from '../http/index.js';
import { metricsText } from './registry.js';
import { watchStatus, type SyncRows } from './status-stores.js';

export function metricsRoutes(store: SyncRows): RouteSet {
  return {
    routes: [
      {
        method: 'GET',
        path: '/metrics',
        handle: async () => {
          const m = await metricsText();
          return { status: 200, text: m.body, contentType: m.contentType };
        },
      },
    ],
    open: () => watchStatus(store),
  };
}
