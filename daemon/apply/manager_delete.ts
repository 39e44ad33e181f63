// delete: remove objects this sync owns. Ownership is read from the live object, not from
// Git: an object without our sync label (created by hand, or by another sync) is skipped,
// and so is one annotated `gitops-seal.io/prune: disabled`. Deletion uses Background
// propagation (dependents are collected by the garbage collector) and a uid precondition so
// an object recreated by someone else since we read it is not deleted. 404 = already gone.
import { KubeApiError, NoMatchError } from '../kube/errors.js';
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import type { ChangeSet, ChangeSetEntry } from './changeset.js';
import { DeleteError, toFailure, type ObjectFailure } from './errors.js';
import type { ResourceManager } from './manager.js';
import { PRUNE_ANNOTATION, PRUNE_DISABLED, SYNC_LABEL } from './ownership.js';
import { mapLimit } from './pool.js';

export interface DeleteOptions {
  /** Owner to require (default: the manager's syncName). Without one, ownership is not checked. */
  syncName?: string;
  dryRun?: boolean;
}

export async function deleteAll(m: ResourceManager, objects: readonly KubeObject[], opts: DeleteOptions = {}): Promise<ChangeSet> {
  const owner = opts.syncName ?? m.syncName;
  const results = await mapLimit(objects, m.concurrency, async (obj): Promise<ChangeSetEntry> => {
    const key = keyOf(obj);
    const entry = (action: ChangeSetEntry['action'], reason?: string): ChangeSetEntry => ({
      key,
      subject: formatKey(key),
      action,
      ...(reason ? { reason } : {}),
    });
    let loc;
    try {
      loc = await m.locate(obj);
    } catch (err) {
      // The kind is no longer served (its CRD was removed): its objects went with it.
      if (err instanceof NoMatchError) return entry('skipped', 'not-found');
      throw err;
    }
    const live = await m.getLive(loc);
    if (!live || live.metadata.deletionTimestamp) return entry('skipped', 'not-found');
    if (owner !== undefined && live.metadata.labels?.[SYNC_LABEL] !== owner) return entry('skipped', 'not-owned');
    if (live.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) return entry('skipped', 'prune-disabled');
    try {
      await m.client.request(loc.path, {
        method: 'DELETE',
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Background',
          ...(live.metadata.uid ? { preconditions: { uid: live.metadata.uid } } : {}),
          ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        },
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return entry('skipped', 'not-found');
      // uid precondition failed: a different object by that name now exists; leave it.
      if (err instanceof KubeApiError && err.status === 409) return entry('skipped', 'recreated');
      throw err instanceof KubeApiError ? err.withKey(key) : err;
    }
    return entry('deleted');
  });
  const cs: ChangeSet = { entries: [] };
  const failures: ObjectFailure[] = [];
  results.forEach((r, i) => {
    if (r.ok) cs.entries.push(r.value);
    else failures.push(toFailure(objects[i] as KubeObject, r.error));
  });
  if (failures.length > 0) throw new DeleteError(failures, cs);
  return cs;
}
