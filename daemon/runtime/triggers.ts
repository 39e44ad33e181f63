// Work asked for from outside: a signed webhook fetches its source now, POST /reconcile/<sync>
// reconciles a sync now. Every replica accepts both (the sender cannot know who leads); `gate`
// runs the work only on the leader.
import { resolveSecretRef } from '../config/index.js';
import type { RouteSet } from '../http/index.js';
import type { Revision } from '../source/index.js';
import type { HookTarget } from '../webhook/routes.js';
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
  parts: { sources: ReadonlyMap<string, Pick<SourcePoller, 'spec' | 'trigger'>> },
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
    });
  }
  return hooks;
}

/** POST /reconcile/<sync>: 202 when the sync exists (its source's last revision again, or a fetch first), else 404. */
export function reconcileRoutes(
  parts: { sources: ReadonlyMap<string, Source>; syncs: ReadonlyMap<string, Sync> },
  gate: LeaderGate,
): RouteSet {
  const reconcile = (sync: string): boolean => {
    const ctl = parts.syncs.get(sync);
    if (!ctl) return false;
    gate(`reconcile request for sync ${sync}`, () => {
      const poller = parts.sources.get(ctl.spec.source);
      const rev = poller?.lastRevision;
      if (rev) void ctl.reconcile(rev).catch(() => undefined);
      else void poller?.trigger().catch(() => undefined);
    });
    return true;
  };
  return {
    routes: [
      {
        method: 'POST',
        path: '/reconcile/:name',
        handle: ({ name }) =>
          name !== '' && reconcile(name) ? { status: 202, json: { accepted: true } } : { status: 404, json: { error: 'no such sync' } },
      },
    ],
  };
}
