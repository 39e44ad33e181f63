// The shapes this package works with. Objects are plain JSON exactly as written in Git:
// we never run them through a typed model, because typed clients drop or rename fields
// they do not know (custom resources, new API fields) and then apply something else.

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: ManagedFieldsEntry[];
  deletionTimestamp?: string;
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
  time?: string;
}

/** A Kubernetes object as JSON. Everything outside apiVersion/kind/metadata is opaque. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Identity of an object, independent of its version. */
export interface ObjectKey {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

/** `apps/v1` → {group: apps, version: v1}; `v1` → {group: '', version: v1}. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  if (i < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function keyOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectKey {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return { group, version, kind: obj.kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

/**
 * `Deployment.apps/ns/name` (group shown so a `Deployment` of `example.com` is not mistaken
 * for the built-in one), `Namespace/name` for core cluster-scoped objects.
 */
export function formatKey(key: ObjectKey): string {
  const kind = key.group === '' ? key.kind : `${key.kind}.${key.group}`;
  return key.namespace === '' ? `${kind}/${key.name}` : `${kind}/${key.namespace}/${key.name}`;
}

export function describe(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return formatKey(keyOf(obj));
}

export function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata === 'object' && o.metadata !== null;
}

/** Status body the apiserver returns on errors. */
export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

export interface KubeList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}
