// Skip what did not change (issue 18): a commit reconciles only the syncs whose inputs changed.
// Two rules, both only for a new commit after a successful apply (a failed attempt, or the same
// commit asked for again by POST /reconcile, always goes the whole way):
//   1. a plain directory whose Git tree id is the one applied: no file under it changed, so
//      nothing is read, decrypted, parsed or sent (one tree lookup per path segment);
//   2. any sync (rendered ones included: the render cache answers for an unchanged render's
//      inputs) whose loaded objects equal the applied ones, object for object.
import { needsValidation, type DesiredState } from '../engine/index.js';
import type { Revision } from '../source/index.js';

/** What the controller remembers of the revision it applied last. */
export interface AppliedMark {
  revision: string;
  failedSince: boolean;
  /** The Git tree id of the sync's path when it was a plain directory; null when rendered; absent: unknown. */
  plainTree?: string | null;
}

/** Rule 1: the tree id of `path` at `revision`, and whether it is the applied plain tree. */
export async function unchangedPlainTree(
  applied: AppliedMark | undefined,
  lastGood: DesiredState | undefined,
  revision: Pick<Revision, 'commit' | 'treeId'>,
  path: string,
): Promise<{ unchanged: boolean; id?: string | null }> {
  if (!revision.treeId) return { unchanged: false };
  const id = await revision.treeId(path);
  const unchanged =
    applied !== undefined &&
    lastGood !== undefined &&
    !applied.failedSince &&
    applied.revision !== revision.commit &&
    typeof applied.plainTree === 'string' &&
    applied.plainTree === id;
  return { unchanged, id };
}

/** Rule 2: the same objects, each with the same content (describe + stable serialization). */
export function sameObjects(loaded: Pick<DesiredState, 'objects'>, previous: DesiredState): boolean {
  return loaded.objects.length === previous.objects.length && needsValidation(loaded.objects, previous).length === 0;
}
