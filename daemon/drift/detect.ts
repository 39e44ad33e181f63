// What counts as drift: a field that gitops-seal owns (in its managedFields at apply time)
// whose live value differs from the value the apiserver stored when we applied. Comparing
// against the stored value, not the manifest, makes server-side normalization (quantities,
// defaults) a non-issue; looking only at our own fields leaves other controllers' fields (an
// HPA's replicas, a mutating webhook's annotations) alone.
import { changedFields, type FieldsV1 } from '../apply/index.js';
import type { KubeObject } from '../kube/types.js';

export interface Baseline {
  /** Our fields at apply time (manager gitops-seal, operation Apply). */
  fields: FieldsV1;
  /** The object as the apiserver stored it right after our apply. */
  stored: KubeObject;
}

const IGNORED = new Set(['metadata.managedFields', 'metadata.resourceVersion', 'metadata.generation']);

export function ownedFields(obj: KubeObject, manager: string): FieldsV1 | undefined {
  const entry = obj.metadata.managedFields?.find((f) => f.manager === manager && f.operation === 'Apply');
  const fields = entry?.fieldsV1 as FieldsV1 | undefined;
  return fields && obj.apiVersion === 'v1' && obj.kind === 'Secret' ? stringDataAsData(fields) : fields;
}

/**
 * A Secret's stringData is write-only: the apiserver merges it into data and never stores it,
 * so owning `stringData.K` (how sops-encrypted Secrets are usually written) means owning
 * `data.K`. Without this, a `kubectl edit` of such a value compared two absent stringData
 * fields and was never seen as drift.
 */
function stringDataAsData(fields: FieldsV1): FieldsV1 {
  const sd = fields['f:stringData'];
  if (!sd) return fields;
  return { ...fields, 'f:data': { ...(fields['f:data'] ?? {}), ...sd } };
}

/** Paths of owned fields whose live value differs from the stored one; the whole object when it is gone. */
export function driftedPaths(base: Baseline, live: KubeObject | undefined): string[] {
  if (!live) return ['(deleted)'];
  return changedFields(base.fields, base.stored, live)
    .map((c) => c.path)
    .filter((p) => !IGNORED.has(p));
}
