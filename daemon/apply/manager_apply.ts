// apply: server-side apply of a set of objects, staged like Flux's ApplyAllStaged.
//   1. CRDs, then wait until each is Established (their kinds are unknown before);
//   2. Namespaces;
//   3. everything else, split by scope from discovery (refreshed after step 1):
//      cluster-scoped first, then namespaced.
// Within a stage requests run in parallel (manager.concurrency). If any object of a stage
// fails, the rest of that stage still runs (so all its errors are reported), later stages
// do not, and ApplyError carries what was done.
//
// created/configured/unchanged: before a stage we LIST the live objects of each
// resource+namespace it touches (one request per collection, not one GET per object) and
// compare resourceVersions: the apiserver does not write when an apply changes nothing, so
// an equal resourceVersion means unchanged (a controller writing status between our LIST
// and our PATCH is told apart by our managedFields entry, see ourEntryUnchanged). For dry-run the
// resourceVersion does not move, so the would-be object is compared with the live one.
// When the listed object provably already matches (isNoopApply), no PATCH is sent at all:
// a no-op re-apply of 1,000 objects costs a LIST, not 1,000 requests.
//
// Observers (ResourceManager.observeApplies: drift detection) are told what each write stored —
// the PATCH answer, or the listed object a no-op skipped — as an AppliedObject.
import { setTimeout as sleep } from 'node:timers/promises';
import { keyOf, formatKey, type KubeObject, type ObjectKey } from '../kube/types.js';
import { crdHealth, missing } from '../health/index.js';
import type { ChangeSet, ChangeSetEntry } from './changeset.js';
import { ApplyError, toFailure, type ObjectFailure } from './errors.js';
import type { Located, ResourceManager } from './manager.js';
import { comparable, deepEqual, isNoopApply } from './compare.js';
import { mapLimit } from './pool.js';
import { crdKinds, locateAll, prepare, type LocatedObject } from './prepare.js';
import { SYNC_LABEL } from './ownership.js';
import { redactSecret } from './redact.js';
import { isCRD, isNamespace, sortIntoStages, type Stage } from './sort.js';

export interface ApplyOptions {
  /** Take ownership of fields other managers own (default true, as Flux does). */
  force?: boolean;
  /** Server-side dry-run (`dryRun=All`): nothing is persisted. */
  dryRun?: boolean;
}

/**
 * One object of a write (not dry-run) apply, as the apiserver stored it by that apply: the
 * PATCH answer, or — when the apply was skipped as a provable no-op — the live object read just
 * before, which already was what the apply would have made it. Drift detection takes its
 * baseline from this, never from a later read that a manual change could have reached first.
 */
export interface AppliedObject {
  /** The object's identity, namespace resolved. */
  readonly key: ObjectKey;
  readonly loc: Located;
  /**
   * The stored object, managedFields included. It holds a Secret's values, so it is
   * non-enumerable (as daemon/hidden-cause.ts hides causes): JSON, spread and log lines of the
   * record skip it. Read it, reduce it, do not keep or log it.
   */
  readonly stored: KubeObject;
}

export type ApplyObserver = (applied: AppliedObject) => void;

/** An AppliedObject whose `stored` is hidden from serialisation. */
export function appliedObject(key: ObjectKey, loc: Located, stored: KubeObject): AppliedObject {
  const out = { key, loc } as AppliedObject;
  Object.defineProperty(out, 'stored', { value: stored, enumerable: false, writable: false });
  return out;
}

/**
 * Tell the manager's observers what a write stored. An apply that succeeded never fails for
 * this (an unreadable answer, an observer's bug): the observer then just lacks the object, and
 * drift detection re-applies it to take a baseline.
 */
function report(m: ResourceManager, key: ObjectKey, loc: Located, stored: () => KubeObject): void {
  if (!m.observed) return;
  try {
    m.notifyApplied(appliedObject({ ...key, namespace: loc.namespace }, loc, stored()));
  } catch {
    // See above: nothing to add to an apply that succeeded.
  }
}

export async function applyAll(m: ResourceManager, input: readonly KubeObject[], opts: ApplyOptions = {}): Promise<ChangeSet> {
  const cs: ChangeSet = { entries: [] };
  const objects = prepare(m, input, cs);

  const crds = objects.filter(isCRD);
  const namespaces = objects.filter(isNamespace);
  const rest = objects.filter((o) => !isCRD(o) && !isNamespace(o));

  if (crds.length > 0) {
    await applyStage(m, 'crds', await locateAll(m, 'crds', crds, cs, new Set()), opts, cs);
    if (!opts.dryRun) {
      await waitEstablished(m, crds, cs);
      m.mapper.invalidate();
    }
  }
  if (namespaces.length > 0) {
    await applyStage(m, 'namespaces', await locateAll(m, 'namespaces', namespaces, cs, new Set()), opts, cs);
  }
  if (rest.length === 0) return cs;

  // Kinds served by a CRD of this batch may take a moment to appear in discovery.
  const newKinds = new Set(opts.dryRun ? [] : crds.flatMap(crdKinds));
  const located = await locateAll(m, 'discovery', rest, cs, newKinds);
  const byObject = new Map(located.map((l) => [l.obj, l]));
  for (const { stage, objects: objs } of sortIntoStages(rest, (o) => byObject.get(o)?.loc.mapping.namespaced ?? true)) {
    await applyStage(
      m,
      stage,
      objs.map((o) => byObject.get(o)).filter((x): x is LocatedObject => x !== undefined),
      opts,
      cs,
    );
  }
  return cs;
}

async function applyStage(
  m: ResourceManager,
  stage: Stage,
  objs: readonly LocatedObject[],
  opts: ApplyOptions,
  cs: ChangeSet,
): Promise<void> {
  const live = await liveByCollection(m, objs);
  const results = await mapLimit(objs, m.concurrency, async ({ obj, loc }): Promise<ChangeSetEntry> => {
    const prev = live.get(listKey(loc))?.get(obj.metadata.name ?? '');
    const key = keyOf(obj);
    // Re-applying an unchanged revision is the common case of a GitOps loop: when the listed
    // live object provably already is what this apply would make it, skip the request.
    if (prev && !prev.metadata.deletionTimestamp && isNoopApply(obj, prev, m.fieldManager)) {
      const entry: ChangeSetEntry = { key, subject: formatKey(key), action: 'unchanged' };
      const stored = { ...prev, apiVersion: obj.apiVersion, kind: obj.kind };
      if (opts.dryRun) entry.object = redactSecret(stored);
      else report(m, key, loc, () => stored);
      return entry;
    }
    const dryRun = opts.dryRun ?? false;
    const res = await m.serverSideApply(obj, loc, {
      dryRun,
      force: opts.force ?? true,
      // A write needs only the answer's metadata (classify) unless an observer (drift
      // detection) takes its baseline from the stored values; a dry-run's object is the diff.
      metadataOnly: !dryRun && !m.observed,
    });
    const entry: ChangeSetEntry = { key, subject: formatKey(key), action: classify(res, prev, dryRun, m.fieldManager) };
    if (opts.dryRun) entry.object = redactSecret(res.object);
    else report(m, key, loc, () => res.object);
    return entry;
  });
  const failures: ObjectFailure[] = [];
  results.forEach((r, i) => {
    if (r.ok) cs.entries.push(r.value);
    else failures.push(toFailure((objs[i] as LocatedObject).obj, r.error));
  });
  if (failures.length > 0) throw new ApplyError(stage, failures, cs);
}

function classify(
  res: { created: boolean; object: KubeObject },
  prev: KubeObject | undefined,
  dryRun: boolean,
  manager: string,
): ChangeSetEntry['action'] {
  if (res.created) return 'created';
  if (!prev) return 'configured'; // existed but was not ours (no label yet): the apply adopts it
  if (!dryRun) {
    if (prev.metadata.resourceVersion === res.object.metadata.resourceVersion) return 'unchanged';
    return ourEntryUnchanged(prev, res.object, manager) ? 'unchanged' : 'configured';
  }
  const before = comparable({ ...prev, apiVersion: res.object.apiVersion, kind: res.object.kind });
  return deepEqual(before, comparable(res.object)) ? 'unchanged' : 'configured';
}

/**
 * The resourceVersion moved between our LIST and our PATCH — by our write, or by a
 * controller updating status meanwhile (a Deployment rolling out). Our managedFields entry
 * tells them apart: its `time` is bumped whenever our apply adds, removes or changes the
 * value of a field we own. Same fields and same time = our apply changed nothing — unless
 * that time is so recent that a change within the same second could hide (second
 * granularity, with slack for clock skew), where we say `configured`.
 */
function ourEntryUnchanged(prev: KubeObject, next: KubeObject, manager: string): boolean {
  const find = (o: KubeObject) => o.metadata.managedFields?.find((f) => f.manager === manager && f.operation === 'Apply' && !f.subresource);
  const a = find(prev);
  const b = find(next);
  if (!a?.time || !b?.time || a.time !== b.time || !deepEqual(a.fieldsV1, b.fieldsV1)) return false;
  return Math.abs(Date.now() - Date.parse(b.time)) > RECENT_WRITE_MS;
}
const RECENT_WRITE_MS = 5_000;

/** The LIST a located object is found in: one per resource and namespace, whatever the version. */
const listKey = (loc: Located): string => `${loc.mapping.group}/${loc.mapping.resource}/${loc.namespace}`;

/** One paged LIST per resource+namespace touched by the stage. */
/**
 * At most this many objects of one collection are looked up one GET each instead of by LISTing
 * the collection: a one-file commit to a 5,000-object sync changes one object, and a LIST would
 * bring all 5,000 (issue 18).
 */
const GET_EACH_MAX = 8;

async function liveByCollection(m: ResourceManager, objs: readonly LocatedObject[]): Promise<Map<string, Map<string, KubeObject>>> {
  const cols = new Map<string, { loc: Located; objs: LocatedObject[] }>();
  for (const o of objs) {
    const k = listKey(o.loc);
    const c = cols.get(k) ?? { loc: o.loc, objs: [] };
    c.objs.push(o);
    cols.set(k, c);
  }
  const out = new Map<string, Map<string, KubeObject>>();
  // A collection that cannot be listed (RBAC allows patch but not list) just loses the
  // unchanged/configured distinction; the apply itself still runs.
  const lists = await mapLimit([...cols.entries()], m.concurrency, async ([k, c]) => {
    if (c.objs.length > GET_EACH_MAX) return [k, await m.listLive(c.loc.mapping, c.loc.namespace)] as const;
    const found = new Map<string, KubeObject>();
    for (const { obj, loc } of c.objs) {
      const live = await m.getLive(loc);
      // What the LIST would have found: only objects labelled as this sync's.
      if (live?.metadata.name && (!m.syncName || live.metadata.labels?.[SYNC_LABEL] === m.syncName))
        found.set(obj.metadata.name ?? '', live);
    }
    return [k, found] as const;
  });
  for (const r of lists) if (r.ok) out.set(r.value[0], r.value[1]);
  return out;
}

async function waitEstablished(m: ResourceManager, crds: readonly KubeObject[], cs: ChangeSet): Promise<void> {
  const deadline = Date.now() + m.crdTimeoutMs;
  let pending = [...crds];
  let last = new Map<KubeObject, string>();
  while (pending.length > 0) {
    const next: KubeObject[] = [];
    last = new Map();
    for (const crd of pending) {
      const live = await m.client.getOptional<KubeObject>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(crd.metadata.name ?? '')}`,
      );
      const h = live ? crdHealth(live) : missing('not found yet');
      if (h.status === 'Degraded') {
        throw new ApplyError('crds', [{ ...toFailure(crd, new Error(h.message)), reason: 'NotEstablished' }], cs);
      }
      if (h.status !== 'Ready') {
        next.push(crd);
        last.set(crd, h.message);
      }
    }
    pending = next;
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const failures = pending.map((c) => ({
        ...toFailure(c, new Error(`not Established after ${m.crdTimeoutMs} ms: ${last.get(c) ?? ''}`)),
        reason: 'NotEstablished',
      }));
      throw new ApplyError('crds', failures, cs);
    }
    await sleep(m.pollIntervalMs);
  }
}
