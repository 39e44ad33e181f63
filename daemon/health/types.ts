// Health of a live object, as the sync reports it and `wait` polls it. The words follow
// argoproj/gitops-engine's pkg/health (which says Healthy for Ready): Progressing may still
// become Ready; Degraded will not by waiting; Missing means the object is not in the cluster;
// Unknown means its health could not be assessed (the GET or the check failed). Suspended is
// not used: a paused rollout or suspended Job is Ready with a message saying so.
import type { KubeObject } from '../kube/types.js';

export type HealthStatus = 'Ready' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown';

export interface Health {
  status: HealthStatus;
  /** Short human reason, e.g. `2/3 replicas available`. */
  message: string;
}

/** One small function per kind; it only reads `spec`/`status` of the live object. */
export type HealthCheck = (obj: KubeObject) => Health;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
}

export const ready = (message = ''): Health => ({ status: 'Ready', message });
export const progressing = (message: string): Health => ({ status: 'Progressing', message });
export const degraded = (message: string): Health => ({ status: 'Degraded', message });
export const missing = (message = 'not found'): Health => ({ status: 'Missing', message });
export const unknown = (message: string): Health => ({ status: 'Unknown', message });

// Helpers that read loosely typed JSON without `any`.
export function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function num(obj: unknown, ...path: string[]): number | undefined {
  const v = field(obj, ...path);
  return typeof v === 'number' ? v : undefined;
}

export function str(obj: unknown, ...path: string[]): string | undefined {
  const v = field(obj, ...path);
  return typeof v === 'string' ? v : undefined;
}

export function conditions(obj: KubeObject): Condition[] {
  const c = field(obj, 'status', 'conditions');
  if (!Array.isArray(c)) return [];
  return c.filter((x): x is Condition => typeof x === 'object' && x !== null && typeof (x as Condition).type === 'string');
}

export function condition(obj: KubeObject, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/** The controller has not yet seen the latest spec: any status we read is stale. */
export function generationPending(obj: KubeObject): boolean {
  const gen = obj.metadata.generation;
  const observed = num(obj, 'status', 'observedGeneration');
  return gen !== undefined && (observed === undefined || observed < gen);
}
