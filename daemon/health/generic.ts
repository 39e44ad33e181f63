import { condition, degraded, generationPending, progressing, ready, num, type HealthCheck } from './types.js';

// Custom resources following the kstatus conventions: a `Ready` condition, `Stalled` for
// failures that will not resolve by waiting, `observedGeneration` for staleness.
// Kinds without any of these are Ready as soon as they exist.
export const genericHealth: HealthCheck = (obj) => {
  const stalled = condition(obj, 'Stalled');
  if (stalled?.status === 'True') return degraded(`stalled: ${stalled.message ?? stalled.reason ?? ''}`);
  const rc = condition(obj, 'Ready');
  if (num(obj, 'status', 'observedGeneration') !== undefined && generationPending(obj)) {
    return progressing('waiting for the controller to observe the new generation');
  }
  if (!rc) return ready();
  if (rc.status === 'True') return ready(rc.message ?? '');
  return progressing(`Ready=${rc.status}${rc.reason ? ` (${rc.reason})` : ''}${rc.message ? `: ${rc.message}` : ''}`);
};
