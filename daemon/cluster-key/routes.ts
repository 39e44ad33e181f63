// GET /keys: the cluster key's public half as JSON (ClusterKeyPublic: recipient, fingerprint,
// created, retired), served by every replica like /status and, like it, unauthenticated: it is
// public data. Read from the Secret when asked (one GET; parsed again only after a change), so a
// follower answers as the leader does.
import type { RouteSet } from '../http/index.js';
import { publicClusterKey } from '../../keys/index.js';
import type { ClusterKeyring } from './keyring.js';

export function keysRoutes(keyring: ClusterKeyring | undefined): RouteSet {
  return {
    routes: [
      {
        method: 'GET',
        path: '/keys',
        handle: async () => {
          if (!keyring)
            return {
              status: 404,
              json: { error: 'the cluster key is not enabled on this daemon (spec.clusterKey.enabled: true turns it on)' },
            };
          try {
            const key = await keyring.refresh();
            if (!key)
              return {
                status: 503,
                json: { error: `${keyring.store.id} does not exist yet: the daemon that leads creates it; try again shortly` },
              };
            return { status: 200, json: publicClusterKey(key.identities) };
          } catch (err) {
            // Names the Secret and the cause (ClusterKeyError), never a key.
            return { status: 503, json: { error: err instanceof Error ? err.message : String(err) } };
          }
        },
      },
    ],
  };
}
