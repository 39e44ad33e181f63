// Secrets as the verbs show them (dry-run objects, diffs, `gitops-seal build`): keys kept, values
// replaced, so a report can say what changed without saying what it is.
import type { KubeObject } from '../kube/types.js';

/** A core v1 Secret (a custom kind called Secret is not one). */
export function isSecret(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return obj.kind === 'Secret' && obj.apiVersion === 'v1';
}

/** Copy with every Secret value replaced by `***` (keys kept). Non-Secrets are returned as is. */
export function redactSecret(obj: KubeObject): KubeObject {
  if (!isSecret(obj)) return obj;
  const copy = structuredClone(obj);
  for (const f of ['data', 'stringData'] as const) {
    const m = copy[f];
    if (typeof m === 'object' && m !== null) {
      copy[f] = Object.fromEntries(Object.keys(m).map((k) => [k, '***']));
    }
  }
  // last-applied-configuration (client-side apply by kubectl) would carry values too.
  const ann = copy.metadata.annotations;
  if (ann && 'kubectl.kubernetes.io/last-applied-configuration' in ann) {
    ann['kubectl.kubernetes.io/last-applied-configuration'] = '***';
  }
  return copy;
}
