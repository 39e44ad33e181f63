// Health by kind, picked from a table keyed by `group/Kind` (the group matters: a custom
// `Deployment` of example.com must not be judged by the apps/v1 rules).
import { splitApiVersion, type KubeObject } from '../kube/types.js';
import { crdHealth } from './crd.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { genericHealth } from './generic.js';
import { jobHealth } from './job.js';
import { namespaceHealth } from './namespace.js';
import { statefulSetHealth } from './statefulset.js';
import type { Health, HealthCheck } from './types.js';

export * from './types.js';

const checks: ReadonlyMap<string, HealthCheck> = new Map([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['batch/Job', jobHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
  ['/Namespace', namespaceHealth],
]);

export function healthCheckFor(apiVersion: string, kind: string): HealthCheck {
  return checks.get(`${splitApiVersion(apiVersion).group}/${kind}`) ?? genericHealth;
}

export function healthOf(obj: KubeObject): Health {
  if (obj.metadata.deletionTimestamp) return { status: 'Progressing', message: 'being deleted' };
  return healthCheckFor(obj.apiVersion, obj.kind)(obj);
}
