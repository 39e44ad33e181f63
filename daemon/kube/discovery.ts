// Discovery → RESTMapper: which resource (URL segment) serves a kind in an apiVersion and
// whether it is namespaced. Mappings are cached per group-version and fetched lazily; a
// miss re-reads that one group-version (a CRD applied a moment ago), so callers only call
// refresh() when they want to drop everything (e.g. after CRDs were deleted).
import type { KubeClient } from './client.js';
import { KubeApiError, NoMatchError } from './errors.js';
import { splitApiVersion } from './types.js';

export interface ResourceMapping {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

interface APIGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { groupVersion: string } }[];
}

/** Parse one `/api/v1` or `/apis/<g>/<v>` answer into kind → mapping (subresources skipped). */
export function parseResourceList(list: APIResourceList): Map<string, ResourceMapping> {
  const { group, version } = splitApiVersion(list.groupVersion);
  const out = new Map<string, ResourceMapping>();
  for (const r of list.resources ?? []) {
    if (r.name.includes('/')) continue; // deployments/status, pods/log, ...
    out.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] });
  }
  return out;
}

/** URL path of the resource collection or, with a name, of one object. */
export function resourcePath(
  m: Pick<ResourceMapping, 'group' | 'version' | 'resource' | 'namespaced'>,
  namespace?: string,
  name?: string,
): string {
  const base = m.group === '' ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
  const ns = m.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  return `${base}${ns}/${m.resource}${obj}`;
}

export class RESTMapper {
  private readonly client: KubeClient;
  /** apiVersion → kind → mapping; `null` records a group-version the server does not serve. */
  private readonly cache = new Map<string, Map<string, ResourceMapping> | null>();
  private readonly inflight = new Map<string, Promise<Map<string, ResourceMapping> | null>>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  /** Mapping for apiVersion+kind; throws NoMatchError when the server does not serve it. */
  async mapping(apiVersion: string, kind: string): Promise<ResourceMapping> {
    const m = await this.find(apiVersion, kind);
    if (!m) throw new NoMatchError(apiVersion, kind);
    return m;
  }

  /** Mapping or undefined, re-reading the group-version once on a miss. */
  async find(apiVersion: string, kind: string): Promise<ResourceMapping | undefined> {
    const cached = this.cache.get(apiVersion);
    const hit = cached?.get(kind);
    if (hit) return hit;
    const fresh = await this.load(apiVersion);
    return fresh?.get(kind);
  }

  /** Drop every cached mapping; the next lookups re-read discovery. */
  invalidate(): void {
    this.cache.clear();
  }

  /** Re-read every served group-version (`/api`, `/apis`, then each one). */
  async refresh(): Promise<ResourceMapping[]> {
    this.cache.clear();
    const core = await this.client.request<{ versions: string[] }>('/api');
    const groups = await this.client.request<APIGroupList>('/apis');
    const gvs = [...core.versions, ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
    const lists = await Promise.all(gvs.map((gv) => this.load(gv)));
    return lists.flatMap((l) => (l ? [...l.values()] : []));
  }

  private load(apiVersion: string): Promise<Map<string, ResourceMapping> | null> {
    // Concurrent lookups of the same group-version share one request.
    const running = this.inflight.get(apiVersion);
    if (running) return running;
    const p = (async () => {
      const { group, version } = splitApiVersion(apiVersion);
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      try {
        const list = await this.client.request<APIResourceList>(path);
        const parsed = parseResourceList(list);
        this.cache.set(apiVersion, parsed);
        return parsed;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) {
          this.cache.set(apiVersion, null);
          return null;
        }
        throw err;
      }
    })().finally(() => this.inflight.delete(apiVersion));
    this.inflight.set(apiVersion, p);
    return p;
  }
}
