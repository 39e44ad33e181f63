import { condition, degraded, progressing, ready, type HealthCheck } from './types.js';

// A CRD is usable (its resource served, CRs accepted) once Established.
export const crdHealth: HealthCheck = (obj) => {
  const names = condition(obj, 'NamesAccepted');
  if (names?.status === 'False') return degraded(`names not accepted: ${names.message ?? names.reason ?? ''}`);
  if (condition(obj, 'Established')?.status === 'True') return ready('established');
  return progressing('waiting for Established');
};
