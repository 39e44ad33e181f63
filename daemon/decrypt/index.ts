// In-memory SOPS decryption for the daemon: a sync's keys (age identities, Vault login) and the
// decryption of a revision's files with them. The engine's decrypt stage, the daemon's sync
// controller, metrics and the CLI's build/diff reach it through this door.
export {
  AggregateDecryptError,
  DecryptError,
  DECRYPT_FAILURE_REASONS,
  decryptFailureReason,
  decryptFiles,
  type DecryptFailureReason,
  type DecryptResult,
} from './decrypt.js';
export { KeySourceError, SyncKeys, type ClusterIdentitySource, type ClusterKeyUsage } from './sync-keys.js';
