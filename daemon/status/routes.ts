// The status endpoints: GET /status (the DaemonStatus document), /healthz (the process
// answers), /readyz (every sync applied a revision once; a follower is always ready).
// With sharding, GET /status is the fleet's document (daemon/fleet/: each sync's entry from the
// replica that owns it) and GET /status?scope=local this replica's own — what peers ask for.
import type { RouteSet } from '../http/index.js';
import type { DaemonStatus } from './status.js';
import type { StatusStore } from './store.js';

/** Puts the fleet's document together (daemon/fleet/'s Fleet); never throws for a peer's sake. */
export interface FleetStatusSource {
  /** This replica's own document (with its sharding fields). */
  local(): DaemonStatus;
  status(): Promise<DaemonStatus>;
}

export function statusRoutes(store: StatusStore, fleet?: FleetStatusSource): RouteSet {
  return {
    routes: [
      { method: 'GET', path: '/healthz', handle: () => ({ status: 200, text: 'ok' }) },
      {
        method: 'GET',
        path: '/readyz',
        handle: () => (store.ready() ? { status: 200, text: 'ok' } : { status: 503, text: 'not ready: no revision applied yet' }),
      },
      {
        method: 'GET',
        path: '/status',
        handle: async ({ query }) => {
          if (!fleet) return { status: 200, json: store.snapshot() };
          return { status: 200, json: query?.get('scope') === 'local' ? fleet.local() : await fleet.status() };
        },
      },
    ],
  };
}
