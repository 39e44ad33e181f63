// A sync's objects for its page: grouped by kind and namespace, each with its live health (one
// LIST per collection, as drift correction lists) and when drift correction last re-applied it.
// The applied state holds decrypted Secrets; only names and a Secret's data key names are read
// here, and nothing of a live object but what its health check says.
import { healthOf } from '../health/index.js';
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import type { DriftRuntime, SyncRuntime } from './parts.js';
import type { ObjectGroup, ObjectView } from './web/model.js';

/** Above this, objects are listed without live health (a page view must not LIST a big cluster). */
export const HEALTH_LIMIT = 2000;
/** Health read at most this often per sync; a page refreshed by every event reuses it. */
const HEALTH_TTL_MS = 3000;

export interface SyncObjects {
  groups: ObjectGroup[];
  note?: string;
}

interface Entry {
  obj: KubeObject;
  namespace: string;
  located: Awaited<ReturnType<SyncRuntime['manager']['locate']>> | undefined;
}

function secretKeyNames(obj: KubeObject): string[] | undefined {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return undefined;
  const o = obj as KubeObject & { data?: Record<string, unknown>; stringData?: Record<string, unknown> };
  return [...new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})])].sort();
}

export class ObjectsView {
  private readonly cache = new Map<string, { at: number; applied: unknown; health: Map<string, ObjectView['health']> }>();

  /** `force`: read health again even if the cached one is fresh (the sync just applied or corrected). */
  async of(name: string, sync: SyncRuntime | undefined, drift: DriftRuntime | undefined, force = false): Promise<SyncObjects> {
    const applied = sync?.lastGood;
    if (!sync || !applied) return { groups: [], note: 'No revision applied by this replica yet.' };
    const entries: Entry[] = await Promise.all(
      applied.objects.map(async (obj) => {
        const located = await sync.manager.locate(obj).catch(() => undefined);
        return { obj, namespace: located?.namespace ?? obj.metadata.namespace ?? '', located };
      }),
    );
    let note: string | undefined;
    let health = new Map<string, ObjectView['health']>();
    if (entries.length > HEALTH_LIMIT) note = `${entries.length} objects: live health is read for syncs of at most ${HEALTH_LIMIT}.`;
    else {
      const cached = this.cache.get(name);
      if (cached && !force && cached.applied === applied && Date.now() - cached.at < HEALTH_TTL_MS) health = cached.health;
      else {
        try {
          health = await this.readHealth(sync, entries);
          this.cache.set(name, { at: Date.now(), applied, health });
        } catch (err) {
          note = `Live health could not be read: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
    }
    const groups = new Map<string, ObjectGroup>();
    for (const e of entries) {
      const key = formatKey({ ...keyOf(e.obj), namespace: e.namespace });
      const gk = `${e.obj.kind}\u0000${e.namespace}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { kind: e.obj.kind, namespace: e.namespace, objects: [] }));
      const keyNames = secretKeyNames(e.obj);
      const correctedAt = drift?.lastCorrected.get(key);
      g.objects.push({
        name: e.obj.metadata.name ?? '',
        health: health.get(key) ?? { status: 'Unknown', message: note ? 'not checked' : 'not found in the last check' },
        ...(correctedAt ? { correctedAt } : {}),
        ...(keyNames ? { keyNames } : {}),
      });
    }
    const sorted = [...groups.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace));
    for (const g of sorted) g.objects.sort((a, b) => a.name.localeCompare(b.name));
    return { groups: sorted, ...(note ? { note } : {}) };
  }

  private async readHealth(sync: SyncRuntime, entries: Entry[]): Promise<Map<string, ObjectView['health']>> {
    const collections = new Map<string, { located: NonNullable<Entry['located']>; kind: string; apiVersion: string }>();
    for (const e of entries) {
      if (!e.located) continue;
      const { group, version, kind } = keyOf(e.obj);
      collections.set(`${group}/${version}/${kind}/${e.namespace}`, { located: e.located, kind, apiVersion: e.obj.apiVersion });
    }
    const out = new Map<string, ObjectView['health']>();
    for (const c of collections.values()) {
      const live = await sync.manager.listLive(c.located.mapping, c.located.namespace);
      for (const [name, item] of live) {
        const obj = { ...item, apiVersion: c.apiVersion, kind: c.kind };
        const h = healthOf(obj);
        out.set(formatKey({ ...keyOf({ ...obj, metadata: { ...obj.metadata, name } }), namespace: c.located.namespace }), {
          status: h.status,
          message: h.message,
        });
      }
    }
    // An object of the revision that no LIST returned is not in the cluster.
    for (const e of entries) {
      const key = formatKey({ ...keyOf(e.obj), namespace: e.namespace });
      if (e.located && !out.has(key)) out.set(key, { status: 'Missing', message: 'not found in the cluster' });
    }
    return out;
  }
}
