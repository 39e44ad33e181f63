// Small helpers on plain JSON objects shared by the verbs.
import { keyOf, type KubeObject } from '../kube/types.js';
import { InvalidObjectError } from './errors.js';

/** Set on every applied object; delete/prune only touch objects carrying it. */
export const SYNC_LABEL = 'gitops-seal.io/sync';
/** `gitops-seal.io/prune: disabled` on the live object protects it from delete/prune. */
export const PRUNE_ANNOTATION = 'gitops-seal.io/prune';
export const PRUNE_DISABLED = 'disabled';

/** Reject objects that cannot be addressed before sending anything. */
export function checkObject(obj: KubeObject): void {
  const key = keyOf(obj);
  if (!obj.metadata.name) throw new InvalidObjectError(key, 'metadata.name is required (generateName is not supported by apply)');
  if (!/^[a-zA-Z0-9]/.test(obj.kind)) throw new InvalidObjectError(key, `invalid kind "${obj.kind}"`);
}

/** Copy of `obj` labelled as ours; the caller's object is never mutated. */
export function withSyncLabel(obj: KubeObject, syncName: string | undefined): KubeObject {
  if (!syncName) return obj;
  const copy = structuredClone(obj);
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [SYNC_LABEL]: syncName };
  return copy;
}

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

/** JSON with object keys sorted, for order-insensitive equality. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * The parts of a stored object that change on every write without meaning anything:
 * resourceVersion and managedFields timestamps. What remains differs only if a write
 * would change the object.
 */
export function comparable(obj: KubeObject): unknown {
  const copy = structuredClone(obj);
  delete copy.metadata.resourceVersion;
  for (const mf of copy.metadata.managedFields ?? []) delete mf.time;
  return copy;
}
