import { condition, degraded, generationPending, num, progressing, ready, field, type HealthCheck } from './types.js';

// Mirrors `kubectl rollout status`: observed, all replicas updated, old ones gone, updated available.
export const deploymentHealth: HealthCheck = (obj) => {
  if (field(obj, 'spec', 'paused') === true) return ready('rollout paused');
  if (generationPending(obj)) return progressing('waiting for the controller to observe the new generation');
  const prog = condition(obj, 'Progressing');
  if (prog?.reason === 'ProgressDeadlineExceeded') {
    return degraded(`progress deadline exceeded${prog.message ? `: ${prog.message}` : ''}`);
  }
  const want = num(obj, 'spec', 'replicas') ?? 1;
  const updated = num(obj, 'status', 'updatedReplicas') ?? 0;
  const total = num(obj, 'status', 'replicas') ?? 0;
  const available = num(obj, 'status', 'availableReplicas') ?? 0;
  if (updated < want) return progressing(`${updated}/${want} replicas updated`);
  if (total > updated) return progressing(`${total - updated} old replicas pending termination`);
  if (available < updated) return progressing(`${available}/${updated} updated replicas available`);
  return ready(`${available}/${want} replicas available`);
};
