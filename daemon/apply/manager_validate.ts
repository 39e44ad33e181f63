// validate: is a whole revision acceptable to the apiserver? Every object is sent as a
// server-side dry-run apply (schema, field validation, admission). The engine refuses the
// revision if any object fails, so nothing of a bad revision is half-applied.
//
// The catch is ordering: a revision may bring a CRD together with custom resources of it,
// or a Namespace together with objects in it. Before those prerequisites exist, the
// dependents cannot be dry-run (NoMatch / namespace NotFound). The rule (after Flux):
//   phase 1: dry-run everything that can be checked now — all CRDs and Namespaces, and every
//            object whose kind is served and whose namespace exists (or is not created by
//            this revision: then the NotFound is a real error). Any failure → stop here,
//            nothing has been written.
//   phase 2: only if phase 1 passed and some objects were deferred: apply the revision's
//            CRDs and Namespaces for real (they are additive, part of the revision anyway,
//            and wait for Established), then dry-run the deferred objects.
// With `applyPrerequisites: false` phase 2 is skipped and deferred objects are listed as
// unchecked rather than failed.
import { NoMatchError } from '../kube/errors.js';
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import type { ChangeSet } from './changeset.js';
import { ApplyError, toFailure, type ObjectFailure } from './errors.js';
import type { ResourceManager } from './manager.js';
import { crdKinds, locateAll, prepare } from './prepare.js';
import { mapLimit } from './pool.js';
import { isCRD, isNamespace } from './sort.js';

export interface ValidateOptions {
  /** Apply the revision's CRDs and Namespaces to dry-run objects depending on them (default true). */
  applyPrerequisites?: boolean;
}

export interface ValidationResult {
  ok: boolean;
  failures: ObjectFailure[];
  /** Objects sent as a dry-run (and accepted, unless listed in failures). */
  checked: number;
  /** Subjects that could not be checked (prerequisites not applied). */
  unchecked: string[];
  /** What phase 2 applied for real, if it ran. */
  prerequisites?: ChangeSet;
}

type Plan = { now: KubeObject[]; deferred: KubeObject[]; failures: ObjectFailure[] };

export async function validateAll(m: ResourceManager, input: readonly KubeObject[], opts: ValidateOptions = {}): Promise<ValidationResult> {
  let objects: KubeObject[];
  try {
    objects = prepare(m, input, { entries: [] });
  } catch (err) {
    if (err instanceof ApplyError) return { ok: false, failures: err.failures, checked: 0, unchecked: [] };
    throw err;
  }
  const plan = await planPhases(m, objects);
  const failures = [...plan.failures, ...(await dryRun(m, plan.now))];
  const result: ValidationResult = { ok: false, failures, checked: plan.now.length, unchecked: [] };
  if (failures.length > 0) return result;
  if (plan.deferred.length === 0) return { ...result, ok: true };
  if (opts.applyPrerequisites === false) {
    return { ...result, ok: true, unchecked: plan.deferred.map((o) => formatKey(keyOf(o))) };
  }

  const prereq = objects.filter((o) => isCRD(o) || isNamespace(o));
  try {
    result.prerequisites = await m.apply(prereq);
  } catch (err) {
    if (err instanceof ApplyError) return { ...result, failures: err.failures, prerequisites: err.changeSet };
    throw err;
  }
  const deferredFailures = await dryRun(m, plan.deferred, new Set(prereq.filter(isCRD).flatMap(crdKinds)));
  return { ...result, ok: deferredFailures.length === 0, failures: deferredFailures, checked: result.checked + plan.deferred.length };
}

async function planPhases(m: ResourceManager, objects: readonly KubeObject[]): Promise<Plan> {
  const newKinds = new Set(objects.filter(isCRD).flatMap(crdKinds));
  const newNamespaces = new Set(objects.filter(isNamespace).map((o) => o.metadata.name ?? ''));
  const nsExists = new Map<string, Promise<boolean>>();
  const exists = (ns: string): Promise<boolean> => {
    let p = nsExists.get(ns);
    if (!p) {
      p = m.client.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`).then((x) => x !== undefined);
      nsExists.set(ns, p);
    }
    return p;
  };
  const plan: Plan = { now: [], deferred: [], failures: [] };
  const decisions = await mapLimit(objects, m.concurrency, async (o): Promise<'now' | 'deferred'> => {
    if (isCRD(o) || isNamespace(o)) return 'now';
    const key = keyOf(o);
    let loc;
    try {
      loc = await m.locate(o);
    } catch (err) {
      if (err instanceof NoMatchError && newKinds.has(`${key.group}/${key.kind}`)) return 'deferred';
      throw err;
    }
    if (loc.mapping.namespaced && newNamespaces.has(loc.namespace) && !(await exists(loc.namespace))) return 'deferred';
    return 'now';
  });
  decisions.forEach((d, i) => {
    const o = objects[i] as KubeObject;
    if (!d.ok) plan.failures.push(toFailure(o, d.error));
    else plan[d.value].push(o);
  });
  return plan;
}

async function dryRun(
  m: ResourceManager,
  objs: readonly KubeObject[],
  retryKinds: ReadonlySet<string> = new Set(),
): Promise<ObjectFailure[]> {
  if (objs.length === 0) return [];
  let located;
  try {
    located = await locateAll(m, 'validate', objs, { entries: [] }, retryKinds);
  } catch (err) {
    if (err instanceof ApplyError) return err.failures;
    throw err;
  }
  // Nothing of an accepted dry-run's answer is kept: the first apply of a 20,000-object sync
  // would otherwise hold 20,000 answers until the last one came back (issue 18).
  const results = await mapLimit(located, m.concurrency, async ({ obj, loc }): Promise<void> => {
    await m.serverSideApply(obj, loc, { dryRun: true, force: true, metadataOnly: true });
  });
  return results.flatMap((r, i) => (r.ok ? [] : [toFailure((located[i] as { obj: KubeObject }).obj, r.error)]));
}
