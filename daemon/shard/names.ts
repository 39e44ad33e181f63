// Lease names, labels and annotations of a shard group (the contract
// in daemon/shard/README.md; daemon/fleet reads the same names).
import { createHash } from 'node:crypto';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_GROUP = 'gitops-seal.io/lease-group';
export const LABEL_ROLE = 'gitops-seal.io/lease-role';
export const LABEL_SHARD = 'gitops-seal.io/shard';
export const ANNOTATION_IDENTITY = 'gitops-seal.io/identity';
export const ANNOTATION_ADDRESS = 'gitops-seal.io/address';
/** The member's ShardMap fingerprint: members with another one are fenced off (fence.ts). */
export const ANNOTATION_MAP = 'gitops-seal.io/map-fingerprint';

export type LeaseRole = 'member' | 'shard';

/** identity lowercased, [^a-z0-9-] → "-", first 40 chars, "-", first 8 hex of sha256(identity). */
export function memberSlug(identity: string): string {
  const slug = identity
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  return `${slug}-${createHash('sha256').update(identity).digest('hex').slice(0, 8)}`;
}

export function memberLeaseName(group: string, identity: string): string {
  return `${group}-member-${memberSlug(identity)}`;
}

export function shardLeaseName(group: string, shard: number): string {
  return `${group}-shard-${shard}`;
}

/** The label selector that lists a group's Leases (members and shards) in one call. */
export function groupSelector(group: string): string {
  return `${LABEL_MANAGED_BY}=gitops-seal,${LABEL_GROUP}=${group}`;
}

export function leaseLabels(group: string, role: LeaseRole, shard?: number): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: 'gitops-seal',
    [LABEL_GROUP]: group,
    [LABEL_ROLE]: role,
    ...(shard !== undefined ? { [LABEL_SHARD]: String(shard) } : {}),
  };
}
