// Reads and writes one coordination.k8s.io/v1 Lease through the daemon's KubeClient, with
// optimistic concurrency: every update carries the resourceVersion that was read, so of two
// replicas that try to take an expired Lease at once exactly one wins and the other gets 409.
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { LeaseAccessError, LeaseConflictError } from './errors.js';
import { leaseOf, recordOf, type LeaseObject, type LeaseRecord } from './record.js';

export interface LeaseRef {
  namespace: string;
  name: string;
}

export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

export class LeaseStore {
  readonly id: string;
  private readonly collection: string;

  constructor(
    private readonly kube: KubeClient,
    readonly ref: LeaseRef,
  ) {
    this.id = `${ref.namespace}/${ref.name}`;
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ref.namespace)}/leases`;
  }

  private get path(): string {
    return `${this.collection}/${encodeURIComponent(this.ref.name)}`;
  }

  /** The Lease, or undefined when it does not exist yet. */
  async get(timeoutMs: number, signal?: AbortSignal): Promise<StoredLease | undefined> {
    try {
      const lease = await this.kube.getOptional<LeaseObject>(this.path, leaseRequestOptions(timeoutMs, signal));
      return lease ? stored(lease) : undefined;
    } catch (err) {
      throw this.wrap('get', err);
    }
  }

  async create(record: LeaseRecord, timeoutMs: number, signal?: AbortSignal): Promise<StoredLease> {
    try {
      const body = leaseOf(this.ref.namespace, this.ref.name, record);
      return stored(
        await this.kube.request<LeaseObject>(this.collection, { ...leaseRequestOptions(timeoutMs, signal), method: 'POST', body }),
      );
    } catch (err) {
      throw this.wrap('create', err);
    }
  }

  /** Replace the Lease's spec if nobody wrote it since `resourceVersion`; 409 → LeaseConflictError. */
  async update(record: LeaseRecord, resourceVersion: string, timeoutMs: number, signal?: AbortSignal): Promise<StoredLease> {
    try {
      const body = leaseOf(this.ref.namespace, this.ref.name, record, resourceVersion);
      return stored(await this.kube.request<LeaseObject>(this.path, { ...leaseRequestOptions(timeoutMs, signal), method: 'PUT', body }));
    } catch (err) {
      throw this.wrap('update', err);
    }
  }

  private wrap(operation: 'get' | 'create' | 'update', err: unknown): Error {
    if (err instanceof KubeApiError) {
      // 409 on create is AlreadyExists (another replica created it first), on update Conflict.
      if (err.status === 409 && operation !== 'get') return new LeaseConflictError(this.id, operation);
      const hint =
        err.status === 403
          ? 'the ServiceAccount needs get, create and update on leases in API group coordination.k8s.io'
          : err.status === 404 && operation === 'create'
            ? `namespace "${this.ref.namespace}" must exist (set --leader-election-namespace)`
            : undefined;
      return new LeaseAccessError(this.id, operation, err.status, `${err.status} ${err.reason}: ${err.detail}`, hint);
    }
    return new LeaseAccessError(this.id, operation, undefined, err instanceof Error ? err.message : String(err));
  }
}

function stored(lease: LeaseObject): StoredLease {
  return { record: recordOf(lease), resourceVersion: lease.metadata.resourceVersion ?? '' };
}

/**
 * Options of one Lease request (the elector's and the shard coordinator's). `signal` aborts the
 * call early (the loop is being stopped). The timeout signal also stops KubeClient's own retries
 * of a GET: a renewal that cannot finish before the renew deadline is worth nothing. Whole
 * milliseconds: the time left until the renew deadline is measured on performance.now()
 * (fractional), and AbortSignal.timeout throws ERR_OUT_OF_RANGE on a fraction — every such
 * renewal failed before it was sent.
 */
export function leaseRequestOptions(timeoutMs: number, signal: AbortSignal | undefined): { timeoutMs: number; signal: AbortSignal } {
  const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
  return { timeoutMs, signal: signal ? AbortSignal.any([timeout, signal]) : timeout };
}
