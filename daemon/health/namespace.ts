import { progressing, ready, str, type HealthCheck } from './types.js';

export const namespaceHealth: HealthCheck = (obj) => {
  const phase = str(obj, 'status', 'phase');
  if (phase === 'Terminating') return progressing('namespace terminating');
  return ready(phase ? `phase ${phase}` : '');
};
