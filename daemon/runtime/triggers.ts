// Work asked for from outside: a signed webhook fetches its source now, POST /reconcile/<sync>
// reconciles a sync now. Every replica accepts both (the sender cannot know who leads); `gate`
// runs the work only on the leader. With sharding, a `dispatcher` sends the request on to the
// replica that owns the sync (webhook/dispatch.ts) and it runs here only when this one owns it.
import { resolveSecretRef } from '../config/index.js';
import type { RouteSet } from '../http/index.js';
import type { Revision } from '../source/index.js';
import type { HookTarget } from '../webhook/routes.js';
import { dispatchReply, type Dispatcher } from '../webhook/dispatch.js';
import type { SourcePoller } from './source-poller.js';

/** Runs `fn` when this replica leads; otherwise says `what` was ignored. */
export type LeaderGate = (what: string, fn: () => void) => void;

/** What the triggers use of a source poller and of a sync controller. */
type Source = Pick<SourcePoller, 'lastRevision' | 'trigger'>;
interface Sync {
  spec: { source: string };
  reconcile(rev: Revision): Promise<unknown>;
}

/** The webhook target of every source that has a webhook configured. */
export function hookTargets(
  parts: { sources: ReadonlyMap<string, Pick<SourcePoller, 'spec' | 'trigger'>>; syncs?: ReadonlyMap<string, Sync> },
  gate: LeaderGate,
): Map<string, HookTarget> {
  const hooks = new Map<string, HookTarget>();
  for (const [name, poller] of parts.sources) {
    const wh = poller.spec.webhook;
    if (!wh) continue;
    hooks.set(name, {
      type: wh.type,
      secret: () => resolveSecretRef(wh.secretFrom),
      trigger: (head) => gate(`webhook for source ${name}`, () => void poller.trigger(head).catch(() => undefined)),
      syncs: [...(parts.syncs ?? new Map<string, Sync>())].filter(([, ctl]) => ctl.spec.source === name).map(([sync]) => sync),
    });
  }
  return hooks;
}

/** POST /reconcile/<sync>: 202 when the sync exists (its source's last revision again, or a fetch first), else 404. */
export function reconcileRoutes(
  parts: { sources: ReadonlyMap<string, Source>; syncs: ReadonlyMap<string, Sync> },
  gate: LeaderGate,
  dispatcher?: Dispatcher,
): RouteSet {
  const reconcile = (sync: string): void => {
    const ctl = parts.syncs.get(sync);
    if (!ctl) return;
    gate(`reconcile request for sync ${sync}`, () => {
      const poller = parts.sources.get(ctl.spec.source);
      const rev = poller?.lastRevision;
      if (rev) void ctl.reconcile(rev).catch(() => undefined);
      else void poller?.trigger().catch(() => undefined);
    });
  };
  return {
    routes: [
      {
        method: 'POST',
        path: '/reconcile/:name',
        handle: async ({ name, headers, body }) => {
          if (name === '' || !parts.syncs.has(name)) return { status: 404, json: { error: 'no such sync' } };
          const d = await dispatcher?.dispatch([name], { method: 'POST', path: `/reconcile/${encodeURIComponent(name)}`, headers, body });
          if (!d || d.local) reconcile(name);
          return dispatchReply(d);
        },
      },
    ],
  };
}
