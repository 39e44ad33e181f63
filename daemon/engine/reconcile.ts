// One reconcile of one sync against one revision — atomic: load, decrypt, parse, check tenancy
// and the prune guard, then a server-side dry-run of every object; only when all of that passes
// is anything applied. A refused revision applies nothing and prunes nothing (RevisionError).
//
// Order of the writes, chosen so a crash at any point loses no object and leaves no orphan:
//   apply → inventory := old ∪ new → prune stale → inventory := new.
import type { KeyContext } from '../../keys/index.js';
import { ApplyError, type ChangeSet, countActions, type Action, type ObjectFailure, type WaitState } from '../apply/index.js';
import type { ResourceManager } from '../apply/manager.js';
import { stableStringify } from '../apply/index.js';
import { AggregateDecryptError, decryptFiles } from '../decrypt/decrypt.js';
import { checkPrune, diff, identity, inventoryOf, objectOf, PruneGuardError, type InventoryStore } from '../inventory/inventory.js';
import { describe, type KubeObject } from '../kube/types.js';
import { ManifestError, readManifests, selectManifestFiles } from '../manifests/index.js';
import type { Revision } from '../source/types.js';
import { problemsOf, RevisionError } from './errors.js';
import { applyNamespaceRules, scopesOf } from './scope.js';

export interface SyncSettings {
  name: string;
  path: string;
  prune: boolean;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  maxPruneRatio: number;
  allowEmpty: boolean;
  targetNamespace?: string;
  allowedNamespaces?: string[];
}

export interface SyncDeps {
  settings: SyncSettings;
  manager: ResourceManager;
  inventory: InventoryStore;
  keys: KeyContext;
  /** Parsed (and decrypted) objects per file, reused while the file's blob id is unchanged. */
  fileCache?: FileCache;
}

export interface FileCacheEntry {
  oid: string;
  objects: KubeObject[];
  decrypted: boolean;
  warnings: string[];
}
export type FileCache = Map<string, FileCacheEntry>;

export interface DesiredState {
  revision: string;
  /** The objects as applied (decrypted Secrets included: memory only, never logged). */
  objects: KubeObject[];
  decryptedFiles: string[];
  warnings: string[];
  /** The file each object came from, by describe(object): refusals name file and object. */
  fileOf?: ReadonlyMap<string, string>;
}

export interface SyncOutcome extends DesiredState {
  changes: Record<Action, number>;
  pruned: number;
  health: WaitState[];
}

/** Reads the sync's path out of the revision and returns the objects to apply, decrypted. */
export async function loadDesired(deps: Pick<SyncDeps, 'settings' | 'keys' | 'manager' | 'fileCache'>, revision: Revision): Promise<DesiredState> {
  const { settings } = deps;
  const fail = (stage: ConstructorParameters<typeof RevisionError>[2], problems: string[], cause?: unknown): never => {
    throw new RevisionError(settings.name, revision.commit, stage, problems, cause === undefined ? undefined : { cause });
  };
  let paths: string[];
  let ids: Map<string, string>;
  try {
    ids = (await revision.fileIds?.(settings.path)) ?? new Map<string, string>();
    paths = revision.fileIds ? [...ids.keys()].sort() : await revision.listFiles(settings.path);
  } catch (err) {
    return fail('source', problemsOf(err));
  }
  const ordered = selectManifestFiles(paths, settings.path); // sorted
  const selected = new Set(ordered);
  if (selected.size === 0 && !settings.allowEmpty) {
    fail('manifests', [`path "${settings.path || '/'}" has no manifest files in this revision (wrong path? set allowEmpty to apply an empty set)`]);
  }
  // Git keeps no empty directories: a path with no file at all does not exist in this revision
  // (a typo, a moved directory). allowEmpty means "this path was emptied on purpose", not "prune
  // everything when the path is wrong", so a missing path is refused even then.
  if (paths.length === 0 && settings.allowEmpty) {
    fail('manifests', [`path "${settings.path || '/'}" does not exist in this revision (allowEmpty applies to an existing path: keep a file such as .keep in it)`]);
  }
  // Files whose blob id did not change since the last load are not read, decrypted or parsed
  // again: a one-file commit in a large repo costs one file's work.
  const cache = deps.fileCache;
  const reused = new Map<string, FileCacheEntry>();
  for (const p of selected) {
    const hit = cache?.get(p);
    if (hit && ids.get(p) === hit.oid) reused.set(p, hit);
  }
  const files = await revision.readFiles(settings.path, (p) => selected.has(p) && !reused.has(p));
  let plain;
  try {
    plain = await decryptFiles(files, deps.keys);
  } catch (err) {
    if (err instanceof AggregateDecryptError) fail('decrypt', err.errors.map((e) => e.message), err);
    throw err;
  }
  let read;
  try {
    read = readManifests(plain.files);
  } catch (err) {
    if (err instanceof ManifestError) fail('manifests', problemsOf(err));
    throw err;
  }
  const stillEncrypted = read.objects.filter((o) => o.encrypted);
  if (stillEncrypted.length > 0) {
    fail('decrypt', stillEncrypted.map((o) => `${o.file}: document ${o.index} has a sops block the file-level decryption did not cover`));
  }
  const decryptedSet = new Set(plain.decrypted);
  const fresh = new Map<string, FileCacheEntry>(
    files.map((f) => [f.path, { oid: ids.get(f.path) ?? '', objects: [], decrypted: decryptedSet.has(f.path), warnings: read.warnings.filter((w) => w.startsWith(`${f.path}: `)) }]),
  );
  for (const o of read.objects) fresh.get(o.file)?.objects.push(o.object as unknown as KubeObject);
  // One entry per selected file, in file order; it also becomes the cache for the next load.
  const entries = ordered.flatMap((p) => {
    const e = reused.get(p) ?? fresh.get(p);
    return e ? [[p, e] as const] : [];
  });
  if (cache) {
    cache.clear();
    for (const [p, e] of entries) if (e.oid) cache.set(p, e);
  }
  const raw = entries.flatMap(([, e]) => e.objects);
  const rawFiles = entries.flatMap(([p, e]) => e.objects.map(() => p));
  const decryptedFiles = entries.filter(([, e]) => e.decrypted).map(([p]) => p);
  const warnings = entries.flatMap(([, e]) => e.warnings);
  const scopes = await scopesOf(deps.manager.mapper, raw);
  const ruled = applyNamespaceRules(raw, scopes, settings);
  if (ruled.problems.length > 0) fail('tenancy', ruled.problems);
  // ruled.objects[i] is raw[i], namespace rules applied.
  const fileOf = new Map(ruled.objects.map((o, i) => [describe(o), rawFiles[i] ?? ''] as const));
  return { revision: revision.commit, objects: ruled.objects, decryptedFiles, warnings, fileOf };
}

/**
 * The objects that must pass a dry-run: those new or different since the last applied
 * revision. An object identical to one already applied passed the same dry-run then, so a
 * one-file commit in a 5,000-object sync dry-runs one file's objects, not 5,000.
 */
export function needsValidation(objects: readonly KubeObject[], previous: DesiredState | undefined): KubeObject[] {
  if (!previous) return [...objects];
  const before = new Map(previous.objects.map((o) => [describe(o), stableStringify(o)]));
  return objects.filter((o) => before.get(describe(o)) !== stableStringify(o));
}


/** Validates, applies, prunes and (optionally) waits. Throws RevisionError; nothing is applied when validation fails. */
export async function applyDesired(deps: SyncDeps, desired: DesiredState, previous?: DesiredState): Promise<SyncOutcome> {
  const { settings, manager, inventory } = deps;
  const fail = (stage: ConstructorParameters<typeof RevisionError>[2], problems: string[]): never => {
    throw new RevisionError(settings.name, desired.revision, stage, problems);
  };
  const where = (f: ObjectFailure): string => {
    const file = desired.fileOf?.get(f.subject);
    return file ? `${file}: ${f.subject}: ${f.message}` : `${f.subject}: ${f.message}`;
  };
  const old = await inventory.load(settings.name);
  const next = inventoryOf(settings.name, desired.revision, desired.objects);
  // Lines of the stored inventory that are no entry: kept in every save, reported, never pruned.
  const unreadable = old?.unparseable?.length ? { unparseable: old.unparseable } : {};
  const inventoryWarnings = (old?.unparseable ?? []).map((u) =>
    `${inventory.describe(settings.name)}: cannot read inventory entry ${JSON.stringify(u.line)} (${u.problem}); it is kept and its object is never pruned: fix or remove the line by hand`);
  let stale: ReturnType<typeof checkPrune> = [];
  if (settings.prune) {
    try {
      stale = checkPrune(old, next, { maxPruneRatio: settings.maxPruneRatio, allow: settings.allowEmpty && next.entries.length === 0 });
    } catch (err) {
      if (err instanceof PruneGuardError) fail('prune-guard', [err.message]);
      throw err;
    }
  }
  // Objects an earlier, interrupted apply may have created that Git no longer declares.
  const pendingStale = settings.prune && old?.pending ? diff({ ...old, entries: old.pending }, next) : [];
  const toValidate = needsValidation(desired.objects, previous);
  const validation = toValidate.length > 0 ? await manager.validate(toValidate) : { ok: true, failures: [] };
  if (!validation.ok) fail('validate', validation.failures.map(where));

  // Write-ahead: record what is about to be created before creating it, so an apply cut short
  // (apiserver down, daemon killed) leaves no labelled object that no inventory knows about.
  const known = new Set([...(old?.entries ?? []), ...(old?.pending ?? [])]);
  const added = next.entries.filter((e) => !known.has(e));
  if (added.length > 0) {
    await inventory.save({ sync: settings.name, revision: old?.revision ?? '', entries: old?.entries ?? [], pending: [...(old?.pending ?? []), ...added], ...unreadable });
  }
  let cs: ChangeSet;
  try {
    cs = await manager.apply(desired.objects, { force: settings.force });
  } catch (err) {
    if (err instanceof ApplyError) fail('apply', err.failures.map(where));
    throw err;
  }
  await inventory.save({ ...next, entries: [...new Set([...(old?.entries ?? []), ...(old?.pending ?? []), ...next.entries])], ...unreadable });
  let pruned = 0;
  const toDelete = [...new Map([...stale, ...pendingStale].map((e) => [identity(e), e])).values()];
  if (toDelete.length > 0) {
    const del = await manager.delete(toDelete.map(objectOf));
    pruned = countActions(del).deleted;
  }
  await inventory.save({ ...next, ...unreadable });
  let health: WaitState[] = [];
  if (settings.wait) {
    try {
      health = await manager.wait(desired.objects, { timeoutMs: settings.timeoutMs });
    } catch (err) {
      fail('health', problemsOf(err));
    }
  }
  return { ...desired, warnings: [...desired.warnings, ...inventoryWarnings], changes: countActions(cs), pruned, health };
}

/** loadDesired + applyDesired. */
export async function reconcile(deps: SyncDeps, revision: Revision, previous?: DesiredState): Promise<SyncOutcome> {
  return applyDesired(deps, await loadDesired(deps, revision), previous);
}
