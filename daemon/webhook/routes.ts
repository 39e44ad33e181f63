// POST /hooks/<source>: a signed webhook triggers a fetch of the source. A missing or bad
// signature gets 401 and triggers nothing; a source without a webhook gets 404. The body is
// read (capped by the HTTP server) before the lookup, so a too-large body is always a 413.
import type { RouteSet } from '../http/index.js';
import { verifyWebhook, type WebhookType } from './verify.js';

export interface HookTarget {
  type: WebhookType;
  secret: () => Promise<string>;
  trigger: () => void;
}

export function hookRoutes(hooks: ReadonlyMap<string, HookTarget>): RouteSet {
  return {
    routes: [
      {
        method: 'POST',
        path: '/hooks/:name',
        readBody: true,
        handle: async ({ name, headers, body }) => {
          const target = hooks.get(name);
          if (!target) return { status: 404, json: { error: 'no webhook for this source' } };
          let ok = false;
          try {
            ok = verifyWebhook(target.type, await target.secret(), headers, body);
          } catch {
            ok = false;
          }
          if (!ok) return { status: 401, json: { error: 'invalid or missing signature' } };
          target.trigger();
          return { status: 202, json: { accepted: true } };
        },
      },
    ],
  };
}
