// What a verb did, per object. Objects carried in a ChangeSet (dry-run results) have
// Secret values replaced by `***`: ChangeSets end up in logs and status.
import type { KubeObject, ObjectKey } from '../kube/types.js';

export type Action = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

export interface ChangeSetEntry {
  key: ObjectKey;
  /** `Kind.group/namespace/name`, for logs. */
  subject: string;
  action: Action;
  /** Why an object was skipped (delete): `not-owned`, `prune-disabled`, `not-found`. */
  reason?: string;
  /** Dry-run only: the object as the apiserver would store it (Secret values redacted). */
  object?: KubeObject;
}

export interface ChangeSet {
  entries: ChangeSetEntry[];
}

/** Entries whose action is a write (created/configured/deleted). */
export function changed(cs: ChangeSet): ChangeSetEntry[] {
  return cs.entries.filter((e) => e.action === 'created' || e.action === 'configured' || e.action === 'deleted');
}

export function countActions(cs: ChangeSet): Record<Action, number> {
  const c: Record<Action, number> = { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0 };
  for (const e of cs.entries) c[e.action]++;
  return c;
}
