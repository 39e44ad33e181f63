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
import { missing, progressing, unknown, type Health, type HealthCheck } from './types.js';

export * from './types.js';
// apply waits on a CRD's Established condition before applying its custom resources.
export { crdHealth } from './crd.js';

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

/**
 * Health of what a GET of the object returned: Missing when there is no such object, and
 * Unknown (never Ready) when the kind's check cannot read what the server sent.
 */
export function healthOf(obj: KubeObject | undefined): Health {
  if (!obj) return missing();
  if (obj.metadata.deletionTimestamp) return progressing('being deleted');
  try {
    return healthCheckFor(obj.apiVersion, obj.kind)(obj);
  } catch (err) {
    return unknown(`health check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
