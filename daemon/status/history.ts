// A sync's bounded revision history: the last HISTORY_LIMIT outcomes, newest first. A
// reconcile that ends exactly like the one before (same revision, result, stage and cause —
// a failing revision retried every interval, a webhook re-applying the same commit) bumps the
// newest entry's count and lastAt instead of pushing the older outcomes out.
import type { SyncHistoryEntry } from './status.js';

export const HISTORY_LIMIT = 20;
const MAX_MESSAGE = 1024;

export type Outcome = Omit<SyncHistoryEntry, 'count' | 'firstAt' | 'lastAt'> & { at: string };

function same(a: SyncHistoryEntry, b: Outcome): boolean {
  return a.revision === b.revision && a.result === b.result && a.stage === b.stage && a.message === b.message && a.objects === b.objects;
}

/** `outcome` recorded into `history` (changed in place, newest first). */
export function recordOutcome(history: SyncHistoryEntry[], { at, ...outcome }: Outcome, limit = HISTORY_LIMIT): void {
  if (outcome.message !== undefined && outcome.message.length > MAX_MESSAGE)
    outcome.message = `${outcome.message.slice(0, MAX_MESSAGE - 3)}...`;
  const newest = history[0];
  if (newest && same(newest, { ...outcome, at })) {
    newest.count++;
    newest.lastAt = at;
    return;
  }
  history.unshift({ ...outcome, count: 1, firstAt: at, lastAt: at });
  if (history.length > limit) history.length = limit;
}
