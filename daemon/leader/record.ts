// The leader election record as stored in a coordination.k8s.io/v1 Lease's spec, with the
// conversions to and from the Lease object. Field names and semantics are client-go's
// LeaseLock: holderIdentity "" means released; leaseDurationSeconds is the holder's promise of
// how long the record stays valid after a renewal; leaseTransitions counts changes of holder.

export const LEASE_API_VERSION = 'coordination.k8s.io/v1';

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** MicroTime (RFC 3339, 6 fractional digits) of the current holder's acquisition. */
  acquireTime?: string;
  /** MicroTime of the last renewal. */
  renewTime?: string;
  leaseTransitions: number;
}

/** The parts of a Lease object this module reads and writes. */
export interface LeaseObject {
  apiVersion: typeof LEASE_API_VERSION;
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * A Kubernetes MicroTime: the apiserver parses it with Go's RFC3339Micro layout, which wants
 * exactly six fractional digits (JavaScript's toISOString gives three).
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function recordOf(lease: Pick<LeaseObject, 'spec'>): LeaseRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    ...(s.acquireTime ? { acquireTime: s.acquireTime } : {}),
    ...(s.renewTime ? { renewTime: s.renewTime } : {}),
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

export function leaseOf(namespace: string, name: string, record: LeaseRecord, resourceVersion?: string): LeaseObject {
  return {
    apiVersion: LEASE_API_VERSION,
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      ...(record.acquireTime ? { acquireTime: record.acquireTime } : {}),
      ...(record.renewTime ? { renewTime: record.renewTime } : {}),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

/** Same holder, renewal and transitions: nothing happened since the last look. */
export function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.acquireTime === b.acquireTime &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions
  );
}
