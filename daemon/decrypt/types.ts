// The validated form of a sync's `decryption` (daemon/config/parse-sync.ts builds it;
// sync-keys.ts runs it). Types only: config/ imports this file without loading the decryption
// machinery, and nothing here imports config/ (see the rule at the top of daemon/config/types.ts).
import type { SecretRef } from '../secret-ref.js';

export type VaultAuth =
  | { token: { from: SecretRef } }
  | { kubernetes: { role: string; mount: string; tokenFile: string } }
  | { approle: { mount: string; roleIdFrom: SecretRef; secretIdFrom: SecretRef } };

export interface DecryptionSpec {
  /** References under decryption may name a Secret: it is read in the sync's cluster. */
  age?: { identitiesFrom: SecretRef[] };
  vault?: { address: string; transitMount: string; auth: VaultAuth };
  /** Sealed Secrets controller keys (PEM or the kubectl-exported key Secrets): SealedSecrets are unsealed in memory. */
  sealedSecrets?: { keysFrom: SecretRef[] };
  /**
   * Also decrypt with the cluster-held identities (spec.clusterKey; current and retired). Only
   * when a sync says so: least privilege, a sync without it cannot open files sealed to the cluster.
   */
  clusterKey?: true;
}
