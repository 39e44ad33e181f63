// Stage ordering for apply, as in Flux's ApplyAllStaged: CRDs must be Established before
// their custom resources are sent, Namespaces must exist before anything is put in them,
// cluster-scoped objects (ClusterRoles, StorageClasses, ...) before namespaced ones that may
// reference them. Within a stage the order does not matter to the apiserver (we apply in
// parallel); it is made deterministic so ChangeSets and logs read the same on every run.
import { splitApiVersion, type KubeObject } from '../kube/types.js';

export type Stage = 'crds' | 'namespaces' | 'cluster' | 'namespaced';
export const STAGES: readonly Stage[] = ['crds', 'namespaces', 'cluster', 'namespaced'];

export function isCRD(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return obj.kind === 'CustomResourceDefinition' && splitApiVersion(obj.apiVersion).group === 'apiextensions.k8s.io';
}

export function isNamespace(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return obj.kind === 'Namespace' && obj.apiVersion === 'v1';
}

/**
 * Stage of one object. `namespaced` comes from discovery and is only needed for objects
 * that are neither CRDs nor Namespaces (it is unknown for custom resources until their CRD
 * is established, which is why scope is resolved after the CRD stage).
 */
export function stageOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>, namespaced: boolean): Stage {
  if (isCRD(obj)) return 'crds';
  if (isNamespace(obj)) return 'namespaces';
  return namespaced ? 'namespaced' : 'cluster';
}

// Inside a stage, kinds that others commonly refer to go first (Helm's install order, trimmed):
// a log of a partial failure then shows the dependencies already applied.
const KIND_ORDER = [
  'PriorityClass',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const kindRank = new Map(KIND_ORDER.map((k, i) => [k, i]));

export function compareInStage(a: KubeObject, b: KubeObject): number {
  const ra =
    splitApiVersion(a.apiVersion).group === '' || isBuiltinGroup(a.apiVersion)
      ? (kindRank.get(a.kind) ?? KIND_ORDER.length)
      : KIND_ORDER.length;
  const rb =
    splitApiVersion(b.apiVersion).group === '' || isBuiltinGroup(b.apiVersion)
      ? (kindRank.get(b.kind) ?? KIND_ORDER.length)
      : KIND_ORDER.length;
  if (ra !== rb) return ra - rb;
  return (
    cmp(a.kind, b.kind) ||
    cmp(a.apiVersion, b.apiVersion) ||
    cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    cmp(a.metadata.name ?? '', b.metadata.name ?? '')
  );
}

function isBuiltinGroup(apiVersion: string): boolean {
  const g = splitApiVersion(apiVersion).group;
  return !g.includes('.') || g.endsWith('.k8s.io');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Group objects into stages (in STAGES order), each sorted deterministically. */
export function sortIntoStages<T extends KubeObject>(
  objects: readonly T[],
  namespaced: (obj: T) => boolean,
): { stage: Stage; objects: T[] }[] {
  const by = new Map<Stage, T[]>(STAGES.map((s) => [s, []]));
  for (const o of objects) by.get(stageOf(o, isCRD(o) || isNamespace(o) ? false : namespaced(o)))?.push(o);
  return STAGES.map((stage) => ({ stage, objects: (by.get(stage) ?? []).sort(compareInStage) })).filter((s) => s.objects.length > 0);
}
