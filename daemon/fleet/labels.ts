// The shard group's Lease labels and annotations live with the shards (daemon/shard/names.ts):
// the fleet view finds every member and shard Lease of group G by the same label-selected LIST.
export {
  ANNOTATION_ADDRESS,
  ANNOTATION_IDENTITY,
  groupSelector,
  LABEL_GROUP,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  LABEL_SHARD,
} from '../shard/index.js';

/** The header a forwarded request carries; a request with it is handled where it lands, never forwarded again. */
export const FORWARDED_BY_HEADER = 'x-gitops-seal-forwarded-by';
