// One reconcile of one sync against one revision — atomic: load (load.ts: select, decrypt, read,
// parse, scope), the prune guard (prune.ts), then a server-side dry-run of every object; only
// when all of that passes is anything applied. A refused revision applies nothing and prunes
// nothing (RevisionError).
//
// Order of the writes, chosen so a crash at any point loses no object and leaves no orphan:
//   apply → inventory := old ∪ new → prune stale → inventory := new.
import type { KeyContext } from '../../keys/index.js';
import { ApplyError, type ChangeSet, countActions, type Action, type ObjectFailure, type WaitState } from '../apply/index.js';
import type { ResourceManager } from '../apply/index.js';
import { stableStringify } from '../apply/index.js';
import { diff, identity, objectOf, type InventoryStore } from '../inventory/inventory.js';
import { describe, type KubeObject } from '../kube/types.js';
import type { Revision } from '../source/index.js';
import { problemsOf, refuse, type RevisionAt, type RevisionStage } from './errors.js';
import type { FileCache } from './file-cache.js';
import type { ClusterRecipients } from './stages/bind.js';
import type { RenderContext } from './stages/render.js';
import { loadRevision, type DesiredState } from './load.js';
import { applyInPhases } from './phases.js';
import { guardedPrune } from './prune.js';
import type { SyncSettings } from './settings.js';
import { timed, timedSync, type PhaseTimer } from './timings.js';

export interface SyncDeps {
  settings: SyncSettings;
  manager: ResourceManager;
  inventory: InventoryStore;
  keys: KeyContext;
  /** Parsed (and decrypted) objects per file, reused while the file's blob id is unchanged. */
  fileCache?: FileCache;
  /** Renderers, render caches and cluster capabilities (kustomize/helm syncs). */
  render?: RenderContext;
  /** The cluster-held key's recipients, current and retired (scope binding); absent: none. */
  clusterRecipients?: ClusterRecipients;
  /** Where each step's time goes (absent: not timed). */
  timer?: PhaseTimer;
}

export interface SyncOutcome extends DesiredState {
  changes: Record<Action, number>;
  pruned: number;
  health: WaitState[];
}

/**
 * The objects that must pass a dry-run: those new or different since the last applied
 * revision. An object identical to one already applied passed the same dry-run then, so a
 * one-file commit in a 5,000-object sync dry-runs one file's objects, not 5,000.
 *
 * The file cache hands the very instances of the previous revision to every unchanged file, so
 * an instance seen there is unchanged: only the other objects (a changed file's, re-parsed) are
 * keyed and compared, against the previous objects that are not kept as they are. A one-file
 * commit to a 20,000-object sync keys 50 objects, not 40,000 (issue 18).
 */
export function needsValidation(objects: readonly KubeObject[], previous: DesiredState | undefined): KubeObject[] {
  if (!previous) return [...objects];
  // One set: each kept instance is taken out of it, so what is left are the previous objects
  // that were replaced or dropped.
  const left = new Set<KubeObject>(previous.objects);
  const fresh: KubeObject[] = [];
  for (const o of objects) if (!left.delete(o)) fresh.push(o);
  if (fresh.length === 0) return fresh;
  const before = new Map<string, KubeObject>();
  for (const p of left) before.set(describe(p), p);
  return fresh.filter((o) => {
    const p = before.get(describe(o));
    return p === undefined || printed(p) !== printed(o);
  });
}

/**
 * Each object serialized once: the file cache hands the same instances to every load while a
 * file is unchanged, and nothing changes a loaded object afterwards, so a 5,000-object sync is
 * not serialized again on every commit.
 */
const texts = new WeakMap<KubeObject, string>();
function printed(o: KubeObject): string {
  let t = texts.get(o);
  if (t === undefined) {
    t = stableStringify(o);
    texts.set(o, t);
  }
  return t;
}

/** Validates, applies, prunes and (optionally) waits. Throws RevisionError; nothing is applied when validation fails. */
export async function applyDesired(
  deps: SyncDeps,
  desired: DesiredState,
  previous?: DesiredState,
  /** applyAll: apply every object even for a new revision (the last attempt failed part-way). */
  opts: { applyAll?: boolean } = {},
): Promise<SyncOutcome> {
  const { settings, manager, inventory, timer: t } = deps;
  const at: RevisionAt = { sync: settings.name, commit: desired.revision };
  const fail = (stage: RevisionStage, problems: string[]): never => refuse(at, stage, problems);
  const where = (f: ObjectFailure): string => {
    const file = desired.fileOf?.get(f.subject);
    return file ? `${file}: ${f.subject}: ${f.message}` : `${f.subject}: ${f.message}`;
  };
  const old = await timed(t, 'inventory-read', () => inventory.load(settings.name));
  // Lines of the stored inventory that are no entry: kept in every save, reported, never pruned.
  const unreadable = old?.unparseable?.length ? { unparseable: old.unparseable } : {};
  const inventoryWarnings = (old?.unparseable ?? []).map(
    (u) =>
      `${inventory.describe(settings.name)}: cannot read inventory entry ${JSON.stringify(u.line)} (${u.problem}); it is kept and its object is never pruned: fix or remove the line by hand`,
  );
  const plan = timedSync(t, 'inventory-read', () => guardedPrune(old, desired, settings));
  if (plan.refused !== undefined) fail('prune-guard', [plan.refused]);
  const { next, toPrune: stale } = plan;
  // Objects an earlier, interrupted apply may have created that Git no longer declares.
  const pendingStale = settings.prune && old?.pending ? diff({ ...old, entries: old.pending }, next) : [];
  // Finding the new or changed objects (a comparison of every object) counts as dry-run work.
  const toValidate = timedSync(t, 'dry-run', () => needsValidation(desired.objects, previous));
  const validation = toValidate.length > 0 ? await timed(t, 'dry-run', () => manager.validate(toValidate)) : { ok: true, failures: [] };
  if (!validation.ok) fail('validate', validation.failures.map(where));

  // Write-ahead: record what is about to be created before creating it, so an apply cut short
  // (apiserver down, daemon killed) leaves no labelled object that no inventory knows about.
  const known = new Set([...(old?.entries ?? []), ...(old?.pending ?? [])]);
  const added = next.entries.filter((e) => !known.has(e));
  if (added.length > 0) {
    await timed(t, 'inventory-write', () =>
      inventory.save({
        sync: settings.name,
        revision: old?.revision ?? '',
        entries: old?.entries ?? [],
        pending: [...(old?.pending ?? []), ...added],
        ...unreadable,
      }),
    );
  }
  // A new revision applies only what is new or changed since the applied one (an object equal
  // to one already applied was applied then; a change in the cluster is the drift detector's):
  // a one-file commit costs its objects, not a LIST of every collection of the sync. The same
  // revision again (POST /reconcile) applies everything, as a full re-apply.
  // After a failed attempt (an apply cut short may have left objects half way) everything goes.
  const toApply = previous && previous.revision !== desired.revision && !opts.applyAll ? toValidate : desired.objects;
  let cs: ChangeSet;
  try {
    cs = await timed(t, 'apply', () => applyInPhases(manager, { ...desired, objects: toApply }, settings.force));
  } catch (err) {
    if (err instanceof ApplyError) fail('apply', err.failures.map(where));
    throw err;
  }
  const toDelete = [...new Map([...stale, ...pendingStale].map((e) => [identity(e), e])).values()];
  // The inventory is written only when the object set changed (or a write-ahead is pending):
  // a commit that changes objects' content but not which objects there are writes nothing.
  const unchangedSet = !!old && !old.pending?.length && toDelete.length === 0 && sameEntries(old.entries, next.entries);
  if (!unchangedSet) {
    await timed(t, 'inventory-write', () =>
      inventory.save({
        ...next,
        entries: [...new Set([...(old?.entries ?? []), ...(old?.pending ?? []), ...next.entries])],
        ...unreadable,
      }),
    );
  }
  let pruned = 0;
  if (toDelete.length > 0) {
    const del = await timed(t, 'prune', () => manager.delete(toDelete.map(objectOf)));
    pruned = countActions(del).deleted;
  }
  if (!unchangedSet) await timed(t, 'inventory-write', () => inventory.save({ ...next, ...unreadable }));
  let health: WaitState[] = [];
  if (settings.wait) {
    try {
      health = await timed(t, 'health', () => manager.wait(desired.objects, { timeoutMs: settings.timeoutMs }));
    } catch (err) {
      fail('health', problemsOf(err));
    }
  }
  const changes = countActions(cs);
  changes.unchanged += desired.objects.length - toApply.length;
  return { ...desired, warnings: [...desired.warnings, ...inventoryWarnings], changes, pruned, health };
}

function sameEntries(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((e) => set.has(e));
}

/** loadRevision + applyDesired: the daemon's reconcile of one revision. */
export async function reconcile(deps: SyncDeps, revision: Revision, previous?: DesiredState): Promise<SyncOutcome> {
  const { settings, keys, manager, fileCache, render, clusterRecipients, timer } = deps;
  const loaded = await loadRevision({
    ...(timer ? { timer } : {}),
    settings,
    revision,
    keys,
    mapper: manager.mapper,
    ...(fileCache ? { fileCache } : {}),
    ...(render ? { render } : {}),
    ...(clusterRecipients ? { clusterRecipients } : {}),
  });
  return applyDesired(deps, loaded, previous);
}
