// The inventory: which objects a sync applied, kept in the cluster so that after a restart
// the daemon still knows what it owns and can prune what left Git. Stored like Flux's
// ResourceInventory: one sorted entry per object, `group_kind_namespace_name_version` with
// every field escaped (entry.ts: names may contain `_`, line breaks, anything but `/` and `%`),
// in a ConfigMap `gitops-seal-inventory-<sync>` together with the revision (commit) applied.
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import type { KubeObject } from '../kube/types.js';
import { entryOf, formatEntry, identity, InventoryFormatError, parseEntry, type InventoryEntry } from './entry.js';
import { dataPatch, entriesData, storedLines } from './journal.js';

export * from './entry.js';

export const DEFAULT_INVENTORY_NAMESPACE = 'gitops-seal-system';
export const INVENTORY_PREFIX = 'gitops-seal-inventory-';

export interface Inventory {
  sync: string;
  /** The revision (commit) these objects were applied from. */
  revision: string;
  /** Sorted, unique entries (entry.ts: `group_kind_namespace_name_version`, fields escaped). */
  entries: string[];
  /**
   * Entries of a revision whose apply started but did not finish: written before the apply, so
   * an object created by an apply cut short (apiserver down, daemon killed) is still known and
   * pruned if Git drops it. Not counted by the prune guard (they were never fully deployed).
   */
  pending?: string[];
  /**
   * Stored lines that are no entry (hand-edited, truncated, written by something else): kept
   * as they are under the ConfigMap key `unparseable` and reported on every reconcile, their
   * objects never pruned — an entry read by guesswork could delete the wrong object.
   */
  unparseable?: UnparseableEntry[];
}

export interface UnparseableEntry {
  line: string;
  problem: string;
}

/**
 * The inventory of `objects`. Given the stored one (`old`): when the objects are exactly its
 * entries, its sorted list is reused — sorting 20,000 entries was most of the prune guard's time
 * on a commit that adds and removes nothing (issue 18).
 */
export function inventoryOf(
  sync: string,
  revision: string,
  objects: readonly Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>[],
  old?: Pick<Inventory, 'entries'>,
): Inventory {
  const set = new Set(objects.map(entryText));
  if (old && old.entries.length === set.size && old.entries.every((e) => set.has(e))) {
    return { sync, revision, entries: [...old.entries] };
  }
  return { sync, revision, entries: [...set].sort() };
}

/**
 * An object's entry, computed once per object: loaded objects are not changed afterwards, and
 * the engine's file cache hands the same instances to every load of an unchanged file, so a
 * one-file commit to a 20,000-object sync formats one file's entries, not 20,000.
 */
const entryTexts = new WeakMap<object, string>();
function entryText(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  let t = entryTexts.get(o);
  if (t === undefined) {
    t = formatEntry(entryOf(o));
    entryTexts.set(o, t);
  }
  return t;
}

/** Entries of `old` whose object is absent from `next` (compared without version): to prune. */
export function diff(old: Inventory | undefined, next: Inventory): InventoryEntry[] {
  if (!old) return [];
  // inventoryOf(…, old) hands back old's own order when the sets are equal: nothing dropped.
  if (old.entries.length === next.entries.length && old.entries.every((e, i) => next.entries[i] === e)) return [];
  // An entry spelled the same in both is kept: only the others are parsed (a commit that keeps
  // 5,000 objects parses none of them).
  const exact = new Set(next.entries);
  const rest = old.entries.filter((s) => !exact.has(s));
  if (rest.length === 0) return [];
  const keep = new Set(next.entries.map((s) => identity(parseEntry(s))));
  return rest.map(parseEntry).filter((e) => !keep.has(identity(e)));
}

export interface PruneGuardOptions {
  /** Refuse when stale/old > this (default 0.5). */
  maxPruneRatio?: number;
  /** Override: prune whatever the ratio or emptiness. */
  allow?: boolean;
}

/**
 * A revision that suddenly drops most of what was deployed is more often a broken
 * kustomization or a wrong path than an intention. Refuse such prunes unless allowed.
 */
export class PruneGuardError extends Error {
  override readonly name = 'PruneGuardError';
  constructor(
    readonly sync: string,
    readonly stale: number,
    readonly total: number,
    readonly next: number,
    readonly maxPruneRatio: number,
  ) {
    super(
      next === 0
        ? `sync "${sync}": refusing to prune all ${total} objects: the new revision has no objects (allow prune to override)`
        : `sync "${sync}": refusing to prune ${stale} of ${total} objects (${Math.round((stale / total) * 100)}% > ${Math.round(maxPruneRatio * 100)}%; allow prune to override)`,
    );
  }
}

export function checkPrune(old: Inventory | undefined, next: Inventory, opts: PruneGuardOptions = {}): InventoryEntry[] {
  const stale = diff(old, next);
  if (!old || stale.length === 0 || opts.allow) return stale;
  const ratio = opts.maxPruneRatio ?? 0.5;
  const total = old.entries.length;
  if (next.entries.length === 0 || stale.length / total > ratio) {
    throw new PruneGuardError(next.sync, stale.length, total, next.entries.length, ratio);
  }
  return stale;
}

/** Five fields, no character the writer escapes, kind, name and version not empty: parseEntry accepts it and formatEntry spells it the same. */
const CANONICAL =
  /^[^%_\u0000-\u0020\u007f]*_[^%_\u0000-\u0020\u007f]+_[^%_\u0000-\u0020\u007f]*_[^%_\u0000-\u0020\u007f]+_[^%_\u0000-\u0020\u007f]+$/;

/**
 * The inventory stored in a ConfigMap's data. Every entry is re-encoded, so one of the older
 * format gets today's spelling; a line that is no entry is set aside (kept, reported, never
 * pruned) instead of stopping the sync.
 */
export function inventoryFromData(sync: string, data: Readonly<Record<string, string>>): Inventory {
  const lines = (key: string): string[] => (data[key] ?? '').split('\n').filter((l) => l !== '');
  const entries = new Set<string>();
  const pending = new Set<string>();
  const unparseable = new Map<string, string>();
  const read = (line: string, into: Set<string>): void => {
    // Most lines are written by today's writer and need no escape at all: such a line is its own
    // spelling (parse + format would return it unchanged), ~5× cheaper to check than to re-encode.
    if (CANONICAL.test(line)) {
      into.add(line);
      return;
    }
    try {
      into.add(formatEntry(parseEntry(line)));
    } catch (err) {
      if (!(err instanceof InventoryFormatError)) throw err;
      unparseable.set(line, err.detail);
    }
  };
  const stored = storedLines(data);
  for (const l of stored.entries) read(l, entries);
  for (const l of lines('pending')) read(l, pending);
  // A line a user repaired in place under `unparseable` counts as an entry again.
  for (const l of lines('unparseable')) read(l, entries);
  // The journal's removals (journal.ts) last: an entry is out once a later revision dropped it.
  for (const l of stored.removed) {
    try {
      entries.delete(formatEntry(parseEntry(l)));
    } catch (err) {
      // A line that is no entry stays set aside (it is kept under `unparseable` by every save).
      if (!(err instanceof InventoryFormatError)) throw err;
    }
  }
  const bad = [...unparseable].map(([line, problem]) => ({ line, problem })).sort((x, y) => (x.line < y.line ? -1 : 1));
  return {
    sync,
    revision: data.revision ?? '',
    entries: [...entries].sort(),
    ...(pending.size > 0 ? { pending: [...pending].sort() } : {}),
    ...(bad.length > 0 ? { unparseable: bad } : {}),
  };
}

/**
 * The ConfigMap data of an inventory; given the data stored now, a large inventory's set change
 * is a journal on top of the stored entries (journal.ts). A key left out is removed on save.
 */
export function inventoryData(inv: Inventory, stored?: Readonly<Record<string, string>>): Record<string, string> {
  const joined = (xs: readonly string[]): string => [...new Set(xs)].sort().join('\n');
  return {
    revision: inv.revision,
    ...entriesData(inv.entries, stored),
    ...(inv.pending?.length ? { pending: joined(inv.pending) } : {}),
    ...(inv.unparseable?.length ? { unparseable: joined(inv.unparseable.map((u) => u.line)) } : {}),
  };
}

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

type StoredConfigMap = KubeObject & { data?: Record<string, string> };

interface Stored {
  data: Record<string, string>;
  resourceVersion: string;
  inventory?: Inventory;
}

// The answer as PartialObjectMetadata (any resource can answer so: apiserver handlers/rest.go,
// AllowsMediaTypeTransform); plain JSON second, for a server or proxy that cannot.
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json';

export interface InventoryStoreOptions {
  namespace?: string;
  fieldManager?: string;
  /**
   * Runs right before each write (save, remove) and throws to refuse it: sharding's fence, so a
   * replica whose shard Lease may have been taken (paused, cut off) never writes the inventory.
   */
  beforeWrite?: (sync: string) => void;
}

/** Load/save inventories as ConfigMaps (server-side apply, so saves are idempotent). */
export class InventoryStore {
  readonly namespace: string;
  private readonly client: KubeClient;
  private readonly fieldManager: string;
  /**
   * What the cluster holds per sync as of our last read or write (null: no inventory): the data
   * (for patches), its resourceVersion, and what it parses to (parsed on first use).
   */
  private readonly stored = new Map<string, Stored | null>();

  constructor(client: KubeClient, opts: InventoryStoreOptions = {}) {
    this.client = client;
    this.namespace = opts.namespace ?? DEFAULT_INVENTORY_NAMESPACE;
    this.fieldManager = opts.fieldManager ?? 'gitops-seal';
    this.beforeWrite = opts.beforeWrite;
  }

  private readonly beforeWrite: ((sync: string) => void) | undefined;

  private path(sync: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps/${encodeURIComponent(INVENTORY_PREFIX + sync)}`;
  }

  /**
   * The stored inventory. While the ConfigMap's resourceVersion is the one of our last read or
   * write, it is the inventory we already hold: only its metadata is asked for (a 20,000-entry
   * inventory is ~750 KB the apiserver would encode, send and we would parse on every commit,
   * issue 18). Any other writer (another replica, a hand edit, a delete) moves the
   * resourceVersion, and the whole ConfigMap is read again.
   */
  async load(sync: string): Promise<Inventory | undefined> {
    const known = this.stored.get(sync);
    if (known) {
      const meta = await this.client.getOptional<KubeObject>(this.path(sync), { accept: METADATA_ONLY });
      if (meta?.metadata.resourceVersion === known.resourceVersion) return structuredClone(this.parsed(sync, known));
    }
    const cm = await this.client.getOptional<StoredConfigMap>(this.path(sync));
    this.remember(sync, cm);
    const now = this.stored.get(sync);
    return now ? structuredClone(this.parsed(sync, now)) : undefined;
  }

  /** The inventory a stored state parses to, parsed once per stored text. */
  private parsed(sync: string, s: Stored): Inventory {
    s.inventory ??= inventoryFromData(sync, s.data);
    return s.inventory;
  }

  /** Where a problem with this sync's inventory is to be fixed by hand. */
  describe(sync: string): string {
    return `ConfigMap ${this.namespace}/${INVENTORY_PREFIX}${sync}`;
  }

  /**
   * Stores `inv`. An existing inventory is changed by a JSON merge patch of the keys that differ
   * (a large set change: only the journal, journal.ts), conditional on the resourceVersion last
   * seen: a write by anything else in between makes it re-read and patch again. Each save is one
   * request, so the cluster always holds one whole inventory: the one before or the one after.
   */
  async save(inv: Inventory): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!this.stored.has(inv.sync)) this.remember(inv.sync, await this.client.getOptional<StoredConfigMap>(this.path(inv.sync)));
      const stored = this.stored.get(inv.sync);
      if (!stored) {
        await this.create(inv);
        // A create that met an existing inventory left its other keys: patched on the next turn.
        if (attempt < 2) continue;
        return;
      }
      const patch = dataPatch(stored.data, inventoryData(inv, stored.data));
      if (patch === undefined) return;
      try {
        this.beforeWrite?.(inv.sync);
        const cm = await this.client.request<StoredConfigMap>(this.path(inv.sync), {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { resourceVersion: stored.resourceVersion }, data: patch },
        });
        this.remember(inv.sync, cm);
        return;
      } catch (err) {
        this.stored.delete(inv.sync);
        if (attempt < 2 && err instanceof KubeApiError && (err.status === 409 || err.status === 404)) continue;
        throw err;
      }
    }
  }

  /** The first save: the whole inventory by server-side apply (creating the namespace if needed). */
  private async create(inv: Inventory): Promise<void> {
    this.beforeWrite?.(inv.sync);
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: INVENTORY_PREFIX + inv.sync,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'gitops-seal', 'gitops-seal.io/inventory': inv.sync },
      },
      data: inventoryData(inv),
    };
    try {
      this.remember(inv.sync, await this.apply(this.path(inv.sync), body));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      // First save on a fresh cluster: the namespace does not exist yet.
      await this.apply(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}`, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: this.namespace },
      });
      this.beforeWrite?.(inv.sync);
      this.remember(inv.sync, await this.apply(this.path(inv.sync), body));
    }
  }

  private remember(sync: string, cm: StoredConfigMap | undefined): void {
    const rv = cm?.metadata.resourceVersion;
    if (!cm || rv === undefined) {
      this.stored.set(sync, null);
      return;
    }
    const data = cm.data ?? {};
    // The same text as before (a write that changed only `revision` aside, most reads) parses to
    // the same inventory: a 20,000-entry inventory is not parsed again.
    const before = this.stored.get(sync);
    const inventory = before?.inventory && sameData(before.data, data) ? before.inventory : undefined;
    this.stored.set(sync, { data, resourceVersion: rv, ...(inventory ? { inventory } : {}) });
  }

  async remove(sync: string): Promise<void> {
    this.beforeWrite?.(sync);
    this.stored.delete(sync);
    try {
      await this.client.request(this.path(sync), { method: 'DELETE' });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
  }

  private async apply(path: string, obj: KubeObject): Promise<StoredConfigMap> {
    return this.client.request<StoredConfigMap>(path, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: obj,
      query: { fieldManager: this.fieldManager, force: true },
    });
  }
}
