// The cluster-held key's shared format: what the daemon stores and publishes, what the CLI reads.
export type { ClusterIdentity, ClusterKeyPublic } from './record.js';
export {
  CLUSTER_KEY_SECRET,
  CLUSTER_KEY_CONFIGMAP,
  CLUSTER_KEY_LABEL,
  IDENTITIES_KEY,
  clusterKeyFingerprint,
  formatClusterIdentities,
  parseClusterIdentities,
  publicClusterKey,
  publicToConfigMapData,
  publicFromConfigMapData,
} from './record.js';
