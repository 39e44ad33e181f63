// POST /hooks/<source>: a signed webhook triggers a fetch of the source. A missing or bad
// signature gets 401 and triggers nothing; a source without a webhook gets 404. The body is
// read (capped by the HTTP server) before the lookup, so a too-large body is always a 413.
// With sharding, a verified hook is also sent on, as received, to the replicas that own the
// source's syncs (dispatch.ts); they verify the signature again.
import type { RouteSet } from '../http/index.js';
import { dispatchReply, type Dispatcher } from './dispatch.js';
import { verifyWebhook, type WebhookType } from './verify.js';

export interface HookTarget {
  type: WebhookType;
  secret: () => Promise<string>;
  /** `head`: the pushed ref's new commit, when the payload names one (a hint: the fetch checks it). */
  trigger: (head?: PushedHead) => void;
  /** The syncs that read this source (their owners get the hook). */
  syncs?: readonly string[];
}

/** The `ref` and `after` of a push payload (GitHub, Gitea, GitLab and the generic sender all use these). */
export interface PushedHead {
  ref: string;
  commit: string;
}

/** The pushed head of a verified payload, or undefined (not JSON, not a push, a deleted ref). */
export function pushedHead(body: Buffer): PushedHead | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { ref, after } = payload as { ref?: unknown; after?: unknown };
  if (typeof ref !== 'string' || !ref.startsWith('refs/') || typeof after !== 'string') return undefined;
  if (!/^[0-9a-f]{40}$/.test(after) || /^0+$/.test(after)) return undefined;
  return { ref, commit: after };
}

export function hookRoutes(hooks: ReadonlyMap<string, HookTarget>, dispatcher?: Dispatcher): RouteSet {
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
          // Verified here first: an unsigned request is never sent on to other replicas.
          if (!ok) return { status: 401, json: { error: 'invalid or missing signature' } };
          const d = await dispatcher?.dispatch(target.syncs ?? [], {
            method: 'POST',
            path: `/hooks/${encodeURIComponent(name)}`,
            headers,
            body,
          });
          if (!d || d.local) target.trigger(pushedHead(body));
          return dispatchReply(d);
        },
      },
    ],
  };
}
