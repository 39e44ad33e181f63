// The group's Leases through the daemon's home-cluster KubeClient: one LIST by label selector
// per look (members and shards together), and create/update of single Leases with optimistic
// concurrency (every update carries the resourceVersion that was read, so of two replicas racing
// for a free shard exactly one wins and the other gets 409).
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import {
  LeaseAccessError,
  LeaseConflictError,
  leaseRequestOptions,
  recordOf,
  type LeaseObject,
  type LeaseRecord,
} from '../leader/index.js';
import { groupSelector } from './names.js';

/** A Lease with the metadata the group uses. */
export interface GroupLease {
  name: string;
  record: LeaseRecord;
  resourceVersion: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

type LabelledLease = LeaseObject & {
  metadata: LeaseObject['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string> };
};

export class GroupLeaseApi {
  private readonly collection: string;

  constructor(
    private readonly kube: KubeClient,
    readonly namespace: string,
    readonly group: string,
  ) {
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  async list(timeoutMs: number, signal?: AbortSignal): Promise<GroupLease[]> {
    try {
      const res = await this.kube.request<{ items?: LabelledLease[] }>(this.collection, {
        query: { labelSelector: groupSelector(this.group) },
        ...leaseRequestOptions(timeoutMs, signal),
      });
      return (res.items ?? []).map(groupLease);
    } catch (err) {
      throw this.wrap(`${this.namespace}/${this.group}-*`, 'get', err);
    }
  }

  async create(name: string, record: LeaseRecord, meta: Meta, timeoutMs: number, signal?: AbortSignal): Promise<GroupLease> {
    try {
      const body = leaseBody(this.namespace, name, record, meta);
      return groupLease(
        await this.kube.request<LabelledLease>(this.collection, { ...leaseRequestOptions(timeoutMs, signal), method: 'POST', body }),
      );
    } catch (err) {
      throw this.wrap(`${this.namespace}/${name}`, 'create', err);
    }
  }

  /** Replace the Lease if nobody wrote it since `resourceVersion`; 409 → LeaseConflictError. */
  async update(
    name: string,
    record: LeaseRecord,
    meta: Meta,
    resourceVersion: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<GroupLease> {
    try {
      const body = leaseBody(this.namespace, name, record, meta, resourceVersion);
      const path = `${this.collection}/${encodeURIComponent(name)}`;
      return groupLease(await this.kube.request<LabelledLease>(path, { ...leaseRequestOptions(timeoutMs, signal), method: 'PUT', body }));
    } catch (err) {
      throw this.wrap(`${this.namespace}/${name}`, 'update', err);
    }
  }

  private wrap(id: string, operation: 'get' | 'create' | 'update', err: unknown): Error {
    if (err instanceof KubeApiError) {
      if (err.status === 409 && operation !== 'get') return new LeaseConflictError(id, operation);
      const hint =
        err.status === 403
          ? 'the ServiceAccount needs get, list, create and update on leases in API group coordination.k8s.io in this namespace'
          : err.status === 404 && operation === 'create'
            ? `namespace "${this.namespace}" must exist (set --leader-election-namespace)`
            : undefined;
      return new LeaseAccessError(id, operation, err.status, `${err.status} ${err.reason}: ${err.detail}`, hint);
    }
    return new LeaseAccessError(id, operation, undefined, err instanceof Error ? err.message : String(err));
  }
}

export interface Meta {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

function leaseBody(namespace: string, name: string, r: LeaseRecord, meta: Meta, resourceVersion?: string): LabelledLease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      labels: meta.labels,
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      ...(r.acquireTime ? { acquireTime: r.acquireTime } : {}),
      ...(r.renewTime ? { renewTime: r.renewTime } : {}),
      leaseTransitions: r.leaseTransitions,
    },
  };
}

function groupLease(l: LabelledLease): GroupLease {
  return {
    name: l.metadata.name,
    record: recordOf(l),
    resourceVersion: l.metadata.resourceVersion ?? '',
    labels: l.metadata.labels ?? {},
    annotations: l.metadata.annotations ?? {},
  };
}
