import { generationPending, num, progressing, ready, str, type HealthCheck } from './types.js';

export const daemonSetHealth: HealthCheck = (obj) => {
  if (generationPending(obj)) return progressing('waiting for the controller to observe the new generation');
  if (str(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') return ready('update strategy OnDelete');
  const desired = num(obj, 'status', 'desiredNumberScheduled') ?? 0;
  const updated = num(obj, 'status', 'updatedNumberScheduled') ?? 0;
  const available = num(obj, 'status', 'numberAvailable') ?? 0;
  if (updated < desired) return progressing(`${updated}/${desired} pods updated`);
  if (available < desired) return progressing(`${available}/${desired} pods available`);
  return ready(`${available}/${desired} pods available`);
};
