// The cluster-held age key (issue 16), daemon side: the Secret's store (also used by the CLI's
// cluster-key backup/restore/rotate), the leader's holder that creates, rotates and publishes it,
// the keyring syncs decrypt with, and the /keys route. The shared format is keys/cluster-key.
export {
  ClusterKeyError,
  ClusterKeyStore,
  mergeIdentities,
  newClusterIdentity,
  type ClusterKeyStoreOptions,
  type ClusterKeyWrite,
  type StoredClusterKey,
} from './store.js';
export { ClusterKeyService } from './service.js';
export { ClusterKeyring } from './keyring.js';
export { ClusterKeyConfigMap } from './configmap.js';
export { ClusterKeyHolder, type HolderCheck } from './holder.js';
export { keysRoutes } from './routes.js';
export type { ClusterKeySpec } from './types.js';
