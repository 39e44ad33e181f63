// What every verb of the ResourceManager does before it talks to the apiserver: check and label
// the input set (prepare), and map each object to its resource and namespace (locateAll),
// waiting for kinds a CRD of the same batch is about to serve.
import { setTimeout as sleep } from 'node:timers/promises';
import { NoMatchError } from '../kube/errors.js';
import { keyOf, type KubeObject } from '../kube/types.js';
import type { ChangeSet } from './changeset.js';
import { ApplyError, InvalidObjectError, toFailure, type ObjectFailure } from './errors.js';
import type { Located, ResourceManager } from './manager.js';
import { SYNC_LABEL } from './ownership.js';
import { mapLimit } from './pool.js';

export interface LocatedObject {
  obj: KubeObject;
  loc: Located;
}

/** Reject objects that cannot be addressed before sending anything. */
export function checkObject(obj: KubeObject): void {
  const key = keyOf(obj);
  if (!obj.metadata.name) throw new InvalidObjectError(key, 'metadata.name is required (generateName is not supported by apply)');
  if (!/^[a-zA-Z0-9]/.test(obj.kind)) throw new InvalidObjectError(key, `invalid kind "${obj.kind}"`);
}

/** The input checked, de-duplicated and labelled with the sync; every bad object is reported at once. */
export function prepare(m: ResourceManager, input: readonly KubeObject[], cs: ChangeSet): KubeObject[] {
  const failures: ObjectFailure[] = [];
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const raw of input) {
    const key = keyOf(raw);
    try {
      checkObject(raw);
      const id = `${key.group}/${key.kind}/${key.namespace || m.defaultNamespace || ''}/${key.name}`;
      if (seen.has(id)) throw new InvalidObjectError(key, 'appears more than once in the set');
      seen.add(id);
      out.push(labelled(raw, m.syncName));
    } catch (err) {
      failures.push(toFailure(raw, err));
    }
  }
  if (failures.length > 0) throw new ApplyError('prepare', failures, cs);
  return out;
}

/**
 * `obj` with our sync label, copying only the spine that changes (object, metadata, labels):
 * the prepared objects are only read (serialised, compared) and never leave the manager, so
 * sharing the rest with the caller's object is safe — and a deep clone of every object for
 * the dry-run pass and again for the apply pass cost more CPU than serialising them.
 */
function labelled(obj: KubeObject, syncName: string | undefined): KubeObject {
  if (!syncName) return obj;
  return { ...obj, metadata: { ...obj.metadata, labels: { ...(obj.metadata.labels ?? {}), [SYNC_LABEL]: syncName } } };
}

/** `group/Kind` of every version a CRD serves. */
export function crdKinds(crd: KubeObject): string[] {
  const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
  return spec?.group && spec.names?.kind ? [`${spec.group}/${spec.names.kind}`] : [];
}

/**
 * Each object's resource and namespace. A kind in `retryKinds` (served by a CRD just applied)
 * is retried until the manager's CRD timeout; any other failure is reported for its object.
 */
export async function locateAll(
  m: ResourceManager,
  stage: string,
  objs: readonly KubeObject[],
  cs: ChangeSet,
  retryKinds: ReadonlySet<string>,
): Promise<LocatedObject[]> {
  const deadline = Date.now() + m.crdTimeoutMs;
  const results = await mapLimit(objs, m.concurrency, async (obj) => {
    const key = keyOf(obj);
    for (;;) {
      try {
        return { obj, loc: await m.locate(obj) };
      } catch (err) {
        const retry = err instanceof NoMatchError && retryKinds.has(`${key.group}/${key.kind}`) && Date.now() < deadline;
        if (!retry) throw err;
        await sleep(m.pollIntervalMs);
      }
    }
  });
  const failures: ObjectFailure[] = [];
  const out: LocatedObject[] = [];
  results.forEach((r, i) => {
    if (r.ok) out.push(r.value);
    else failures.push(toFailure(objs[i] as KubeObject, r.error));
  });
  if (failures.length > 0) throw new ApplyError(stage, failures, cs);
  return out;
}
