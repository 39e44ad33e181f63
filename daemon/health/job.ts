import { condition, field, progressing, ready, degraded, type HealthCheck } from './types.js';

export const jobHealth: HealthCheck = (obj) => {
  const failed = condition(obj, 'Failed');
  if (failed?.status === 'True') return degraded(`job failed: ${failed.reason ?? ''}${failed.message ? ` ${failed.message}` : ''}`.trim());
  const complete = condition(obj, 'Complete');
  if (complete?.status === 'True') return ready('job complete');
  // A suspended Job does nothing until resumed; waiting on it would only time out.
  if (field(obj, 'spec', 'suspend') === true) return ready('job suspended');
  return progressing('job running');
};
