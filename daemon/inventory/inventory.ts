// The inventory: which objects a sync applied, kept in the cluster so that after a restart
// the daemon still knows what it owns and can prune what left Git. Stored like Flux's
// ResourceInventory: one sorted entry per object, `group_kind_namespace_name_version`
// (`_` cannot occur in any of those parts, so the split is unambiguous), in a ConfigMap
// `gitops-seal-inventory-<sync>` together with the revision (commit) applied.
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { keyOf, type KubeObject } from '../kube/types.js';

export const DEFAULT_INVENTORY_NAMESPACE = 'gitops-seal-system';
export const INVENTORY_PREFIX = 'gitops-seal-inventory-';

export interface InventoryEntry {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  version: string;
}

export interface Inventory {
  sync: string;
  /** The revision (commit) these objects were applied from. */
  revision: string;
  /** Sorted, unique `group_kind_namespace_name_version` strings. */
  entries: string[];
  /**
   * Entries of a revision whose apply started but did not finish: written before the apply, so
   * an object created by an apply cut short (apiserver down, daemon killed) is still known and
   * pruned if Git drops it. Not counted by the prune guard (they were never fully deployed).
   */
  pending?: string[];
}

export class InventoryFormatError extends Error {
  override readonly name = 'InventoryFormatError';
  constructor(readonly entry: string, detail: string) {
    super(`invalid inventory entry "${entry}": ${detail}`);
  }
}

export function formatEntry(e: InventoryEntry): string {
  return [e.group, e.kind, e.namespace, e.name, e.version].join('_');
}

export function parseEntry(s: string): InventoryEntry {
  const parts = s.split('_');
  if (parts.length !== 5) throw new InventoryFormatError(s, `expected 5 "_"-separated parts, got ${parts.length}`);
  const [group, kind, namespace, name, version] = parts as [string, string, string, string, string];
  if (!kind || !name || !version) throw new InventoryFormatError(s, 'kind, name and version are required');
  return { group, kind, namespace, name, version };
}

export function entryOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): InventoryEntry {
  const k = keyOf(obj);
  return { group: k.group, kind: k.kind, namespace: k.namespace, name: k.name, version: k.version };
}

/** Identity without the version: a move from v1beta1 to v1 is the same object. */
export function identity(e: InventoryEntry): string {
  return [e.group, e.kind, e.namespace, e.name].join('_');
}

export function inventoryOf(sync: string, revision: string, objects: readonly Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>[]): Inventory {
  return { sync, revision, entries: [...new Set(objects.map((o) => formatEntry(entryOf(o))))].sort() };
}

/** Entries of `old` whose object is absent from `next` (compared without version): to prune. */
export function diff(old: Inventory | undefined, next: Inventory): InventoryEntry[] {
  if (!old) return [];
  const keep = new Set(next.entries.map((s) => identity(parseEntry(s))));
  return old.entries.map(parseEntry).filter((e) => !keep.has(identity(e)));
}

/** Minimal object for an entry, enough for ResourceManager.delete. */
export function objectOf(e: InventoryEntry): KubeObject {
  return {
    apiVersion: e.group === '' ? e.version : `${e.group}/${e.version}`,
    kind: e.kind,
    metadata: { name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
  };
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

export interface InventoryStoreOptions {
  namespace?: string;
  fieldManager?: string;
}

/** Load/save inventories as ConfigMaps (server-side apply, so saves are idempotent). */
export class InventoryStore {
  readonly namespace: string;
  private readonly client: KubeClient;
  private readonly fieldManager: string;

  constructor(client: KubeClient, opts: InventoryStoreOptions = {}) {
    this.client = client;
    this.namespace = opts.namespace ?? DEFAULT_INVENTORY_NAMESPACE;
    this.fieldManager = opts.fieldManager ?? 'gitops-seal';
  }

  private path(sync: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps/${encodeURIComponent(INVENTORY_PREFIX + sync)}`;
  }

  async load(sync: string): Promise<Inventory | undefined> {
    const cm = await this.client.getOptional<KubeObject & { data?: Record<string, string> }>(this.path(sync));
    if (!cm) return undefined;
    const entries = (cm.data?.entries ?? '').split('\n').filter((l) => l !== '');
    const pending = (cm.data?.pending ?? '').split('\n').filter((l) => l !== '');
    [...entries, ...pending].forEach(parseEntry); // fail loudly on a corrupted inventory rather than prune wrongly
    return { sync, revision: cm.data?.revision ?? '', entries: [...entries].sort(), ...(pending.length > 0 ? { pending: [...pending].sort() } : {}) };
  }

  async save(inv: Inventory): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: INVENTORY_PREFIX + inv.sync,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'gitops-seal', 'gitops-seal.io/inventory': inv.sync },
      },
      // Server-side apply: a save without `pending` removes the key a write-ahead save set.
      data: {
        revision: inv.revision,
        entries: [...new Set(inv.entries)].sort().join('\n'),
        ...(inv.pending?.length ? { pending: [...new Set(inv.pending)].sort().join('\n') } : {}),
      },
    };
    try {
      await this.apply(this.path(inv.sync), body);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      // First save on a fresh cluster: the namespace does not exist yet.
      await this.apply(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}`, {
        apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace },
      });
      await this.apply(this.path(inv.sync), body);
    }
  }

  async remove(sync: string): Promise<void> {
    try {
      await this.client.request(this.path(sync), { method: 'DELETE' });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
  }

  private async apply(path: string, obj: KubeObject): Promise<void> {
    await this.client.request(path, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: obj,
      query: { fieldManager: this.fieldManager, force: true },
    });
  }
}
