// How the daemon marks what it owns on the cluster, and how a user opts an object out of pruning.
import type { KubeObject } from '../kube/types.js';

/** Set on every applied object; delete/prune only touch objects carrying it. */
export const SYNC_LABEL = 'gitops-seal.io/sync';
/** `gitops-seal.io/prune: disabled` on the live object protects it from delete/prune. */
export const PRUNE_ANNOTATION = 'gitops-seal.io/prune';
export const PRUNE_DISABLED = 'disabled';

/** Copy of `obj` labelled as ours; the caller's object is never mutated. */
export function withSyncLabel(obj: KubeObject, syncName: string | undefined): KubeObject {
  if (!syncName) return obj;
  const copy = structuredClone(obj);
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [SYNC_LABEL]: syncName };
  return copy;
}
