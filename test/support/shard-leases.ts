// The shard group's Leases written directly, as daemon/shard/README.md says daemon/shard/
// writes them (member Lease `G-member-<slug>` with identity and address annotations, shard Lease
// `G-shard-<k>`), for tests of the fleet view that run without the shard core, and a reader of
// who holds which shard for the bench and the fleet e2e test.
import { createHash } from 'node:crypto';
import type { KubeClient } from '../../daemon/kube/client.js';
import { microTime } from '../../daemon/leader/index.js';

const collection = (ns: string): string => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;

/** The member Lease's name suffix: identity lowercased, [^a-z0-9-] → '-', 40 chars, '-' + 8 hex of sha256(identity). */
export function memberSlug(identity: string): string {
  const base = identity
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  return `${base}-${createHash('sha256').update(identity).digest('hex').slice(0, 8)}`;
}

const labels = (group: string, role: 'member' | 'shard', shard?: number): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'gitops-seal',
  'gitops-seal.io/lease-group': group,
  'gitops-seal.io/lease-role': role,
  ...(shard !== undefined ? { 'gitops-seal.io/shard': String(shard) } : {}),
});

/** Create or replace a Lease (PUT with the current resourceVersion, or POST). */
async function put(
  kube: KubeClient,
  ns: string,
  lease: { metadata: { name: string; namespace: string } & Record<string, unknown> } & Record<string, unknown>,
): Promise<void> {
  const path = `${collection(ns)}/${lease.metadata.name}`;
  const old = await kube.getOptional<{ metadata: { resourceVersion: string } }>(path);
  const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease };
  if (!old) await kube.request(collection(ns), { method: 'POST', body });
  else
    await kube.request(path, {
      method: 'PUT',
      body: { ...body, metadata: { ...lease.metadata, resourceVersion: old.metadata.resourceVersion } },
    });
}

/** A member Lease renewed now (holder "" = released). */
export async function writeMemberLease(
  kube: KubeClient,
  ns: string,
  group: string,
  identity: string,
  opts: { address?: string; holder?: string; leaseSeconds?: number } = {},
): Promise<void> {
  const now = microTime(Date.now());
  await put(kube, ns, {
    metadata: {
      name: `${group}-member-${memberSlug(identity)}`,
      namespace: ns,
      labels: labels(group, 'member'),
      annotations: { 'gitops-seal.io/identity': identity, ...(opts.address ? { 'gitops-seal.io/address': opts.address } : {}) },
    },
    spec: { holderIdentity: opts.holder ?? identity, leaseDurationSeconds: opts.leaseSeconds ?? 10, renewTime: now, acquireTime: now },
  });
}

/** Shard k held by `holder` ("" = released). */
export async function writeShardLease(kube: KubeClient, ns: string, group: string, k: number, holder: string): Promise<void> {
  const now = microTime(Date.now());
  await put(kube, ns, {
    metadata: { name: `${group}-shard-${k}`, namespace: ns, labels: labels(group, 'shard', k) },
    spec: { holderIdentity: holder, leaseDurationSeconds: 10, renewTime: now, acquireTime: now },
  });
}

/** Shard → holder of group G as its Leases say now. */
export async function shardHolders(kube: KubeClient, ns: string, group: string): Promise<Map<number, string>> {
  const list = await kube.request<{ items: { metadata: { labels?: Record<string, string> }; spec?: { holderIdentity?: string } }[] }>(
    collection(ns),
    { query: { labelSelector: `gitops-seal.io/lease-group=${group},gitops-seal.io/lease-role=shard` } },
  );
  const out = new Map<number, string>();
  for (const l of list.items) out.set(Number(l.metadata.labels?.['gitops-seal.io/shard']), l.spec?.holderIdentity ?? '');
  return out;
}

/** Delete every Lease of group G. */
export async function deleteGroupLeases(kube: KubeClient, ns: string, group: string): Promise<void> {
  await kube
    .request(collection(ns), { method: 'DELETE', query: { labelSelector: `gitops-seal.io/lease-group=${group}` } })
    .catch(() => undefined);
}
