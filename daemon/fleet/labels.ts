// The labels and annotations of the shard group's Leases (notes/shard-contract.md): the fleet
// view finds every member and shard Lease of group G by one label-selected LIST.
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_GROUP = 'gitops-seal.io/lease-group';
export const LABEL_ROLE = 'gitops-seal.io/lease-role';
export const LABEL_SHARD = 'gitops-seal.io/shard';
export const ANNOTATION_IDENTITY = 'gitops-seal.io/identity';
export const ANNOTATION_ADDRESS = 'gitops-seal.io/address';

/** The header a forwarded request carries; a request with it is handled where it lands, never forwarded again. */
export const FORWARDED_BY_HEADER = 'x-gitops-seal-forwarded-by';

/** The label selector of group G's Leases (members and shards). */
export function groupSelector(group: string): string {
  return `${LABEL_MANAGED_BY}=gitops-seal,${LABEL_GROUP}=${group}`;
}
