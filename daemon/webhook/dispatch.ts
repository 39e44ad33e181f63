// With sharding, a hook or reconcile request may land on a replica that does not own the syncs
// it is about: the dispatcher (daemon/fleet/'s Fleet) sends it on to their owners. Declared here
// as the narrow shape the routes need, so webhook/ and runtime/ depend on no fleet code.
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from '../http/index.js';

export interface DispatchResult {
  /** Handle it here too (this replica owns one of the syncs, or there is no sharding). */
  local: boolean;
  forwarded: string[];
  failed: { identity: string; reason: string }[];
  retryAfterSeconds: number;
}

export interface Dispatcher {
  dispatch(
    syncs: readonly string[],
    req: { method: 'POST'; path: string; headers: IncomingHttpHeaders; body: Buffer },
  ): Promise<DispatchResult>;
}

/**
 * 202 when every owner took it; 503 with Retry-After when one could not (unknown, not live, or
 * unreachable) — the sender retries, and the owner picks the commit up on its poll interval
 * anyway. Which replica failed and why is logged by the dispatcher, not told to the sender.
 */
export function dispatchReply(d: DispatchResult | undefined): Reply {
  if (d && d.failed.length > 0)
    return {
      status: 503,
      body: JSON.stringify(
        { error: 'the replica that owns this cannot be reached right now; retry later', retryAfterSeconds: d.retryAfterSeconds },
        null,
        2,
      ),
      headers: { 'content-type': 'application/json', 'retry-after': String(d.retryAfterSeconds) },
    };
  return { status: 202, json: { accepted: true, ...(d && d.forwarded.length > 0 ? { forwardedTo: d.forwarded } : {}) } };
}
