// The status endpoints: GET /status (the DaemonStatus document), /healthz (the process
// answers), /readyz (every sync applied a revision once; a follower is always ready).
import type { RouteSet } from '../http/index.js';
import type { StatusStore } from './store.js';

export function statusRoutes(store: StatusStore): RouteSet {
  return {
    routes: [
      { method: 'GET', path: '/healthz', handle: () => ({ status: 200, text: 'ok' }) },
      {
        method: 'GET',
        path: '/readyz',
        handle: () => (store.ready() ? { status: 200, text: 'ok' } : { status: 503, text: 'not ready: no revision applied yet' }),
      },
      { method: 'GET', path: '/status', handle: () => ({ status: 200, json: store.snapshot() }) },
    ],
  };
}
