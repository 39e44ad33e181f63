// The decryption keys of one sync, from its `decryption` config: age identities (files, env
// vars or a Kubernetes Secret of the sync's cluster, as every reference here may be — re-read
// at every reconcile so rotations need no restart) and a
// Vault token provider (token, kubernetes or approle login). The data-key cache lives as long
// as the sync, so an unchanged revision makes no Vault calls.
import {
  ageRecipientOf,
  mergeSealingKeys,
  parseIdentityFile,
  parseSealingKeys,
  type ClusterIdentity,
  type KeyContext,
  type MasterKeysOfFile,
  type SealingKey,
} from '../../keys/index.js';
import { describeSecretRef, resolveSecretRef } from '../secret-ref.js';
import type { KubeClient } from '../kube/client.js';
import type { DecryptionSpec } from './types.js';
import { fileReader, vaultTokenProvider, type VaultLogin } from './vault-login.js';

export class KeySourceError extends Error {
  constructor(sync: string, what: string, cause: string) {
    super(`sync "${sync}": cannot load ${what}: ${cause}`);
    this.name = 'KeySourceError';
  }
}

/**
 * The cluster-held identities (daemon/cluster-key's keyring), oldest first, the newest current:
 * read when used, so a rotation or a restore needs no restart. Injected so decrypt/ does not
 * depend on cluster-key/.
 */
export type ClusterIdentitySource = () => Promise<readonly ClusterIdentity[]>;

/**
 * What a sync's last decryptions tell about its use of the cluster key: the master keys of each
 * decrypted file (public ids only) and the keys the sync holds besides the cluster's. cluster-key/
 * counts from it the files only a retired cluster identity opens.
 */
export interface ClusterKeyUsage {
  files: readonly MasterKeysOfFile[];
  /** Recipients of the sync's own age identities (decryption.age). */
  ownRecipients: ReadonlySet<string>;
  /** The sync has Vault transit configured (a file with a transit stanza opens without any age key). */
  vault: boolean;
}

export class SyncKeys {
  private readonly dataKeyCache = new Map<string, Uint8Array>();
  private readonly token: (() => Promise<string>) | undefined;
  /** The master keys of each file decrypted so far, by path (public ids; kept while the sync lives). */
  private readonly fileKeys = new Map<string, MasterKeysOfFile>();
  private ownRecipients: ReadonlySet<string> = new Set();

  constructor(
    private readonly sync: string,
    private readonly spec: DecryptionSpec | undefined,
    private readonly kube: KubeClient,
    /** Where `{env: NAME}` references are read (the CLI passes its context's environment). */
    private readonly env: NodeJS.ProcessEnv = process.env,
    /**
     * The daemon's cluster identities, for a sync with decryption.clusterKey. Absent (the CLI's
     * build/diff): the sync decrypts with its other keys only.
     */
    private readonly clusterIdentities?: ClusterIdentitySource,
  ) {
    const vault = spec?.vault;
    if (vault) {
      const auth = vault.auth;
      let login: VaultLogin;
      if ('token' in auth) login = { kind: 'token', token: () => resolveSecretRef(auth.token.from, this.env, this.kube) };
      else if ('kubernetes' in auth)
        login = {
          kind: 'kubernetes',
          role: auth.kubernetes.role,
          mount: auth.kubernetes.mount,
          jwt: fileReader(auth.kubernetes.tokenFile),
        };
      else
        login = {
          kind: 'approle',
          mount: auth.approle.mount,
          roleId: () => resolveSecretRef(auth.approle.roleIdFrom, this.env, this.kube),
          secretId: () => resolveSecretRef(auth.approle.secretIdFrom, this.env, this.kube),
        };
      this.token = vaultTokenProvider(vault.address, login);
    }
  }

  /**
   * A KeyContext for one reconcile: fresh identities, the long-lived cache and token provider,
   * and with `sealedSecrets` the Sealed Secrets controller keys (engine stage sealed.ts).
   */
  async context(): Promise<KeyContext & { sealedSecrets?: SealingKey[] }> {
    const ageIdentities: string[] = [];
    for (const ref of this.spec?.age?.identitiesFrom ?? []) {
      const what = `age identities from ${describeSecretRef(ref)}`;
      try {
        const text = await resolveSecretRef(ref, this.env, this.kube);
        ageIdentities.push(...parseIdentityFile(text, what));
      } catch (err) {
        throw new KeySourceError(this.sync, 'age identities', err instanceof Error ? err.message : 'error');
      }
    }
    this.ownRecipients = new Set(await Promise.all(ageIdentities.map(ageRecipientOf)));
    if (this.spec?.clusterKey && this.clusterIdentities) {
      try {
        // Newest first: a file sealed to the current key is opened by the first identity tried.
        ageIdentities.push(...[...(await this.clusterIdentities())].reverse().map((k) => k.identity));
      } catch (err) {
        throw new KeySourceError(this.sync, 'the cluster key', err instanceof Error ? err.message : 'error');
      }
    }
    const sealed = await this.sealedSecretKeys();
    // No age config: an empty list (never the process's own SOPS_AGE_KEY* — keys are per sync).
    return {
      ageIdentities,
      dataKeyCache: this.dataKeyCache,
      ...(this.token ? { vault: { token: this.token } } : {}),
      ...(sealed ? { sealedSecrets: sealed } : {}),
      ...(this.spec?.clusterKey ? { onMasterKeys: (source: string, keys: MasterKeysOfFile) => void this.fileKeys.set(source, keys) } : {}),
    };
  }

  /** Re-read every reconcile, like age identities: a key the controller rotated in needs no restart. */
  private async sealedSecretKeys(): Promise<SealingKey[] | undefined> {
    const refs = this.spec?.sealedSecrets?.keysFrom;
    if (!refs) return undefined;
    const lists: SealingKey[][] = [];
    for (const ref of refs) {
      try {
        lists.push(parseSealingKeys(await resolveSecretRef(ref, this.env, this.kube), describeSecretRef(ref)));
      } catch (err) {
        // KeyFileError/SecretRefError messages name the reference and the cause, never key material.
        throw new KeySourceError(this.sync, 'Sealed Secrets keys', err instanceof Error ? err.message : 'error');
      }
    }
    return mergeSealingKeys(lists);
  }

  /**
   * The cluster key's use by these files (the last applied revision's decrypted files).
   * Undefined when the sync does not decrypt with the cluster key.
   */
  clusterKeyUsage(files: readonly string[]): ClusterKeyUsage | undefined {
    if (!this.spec?.clusterKey) return undefined;
    // Not pruned to `files` on every call: /status asks while a reconcile runs, and a file that
    // reconcile just decrypted is not in the applied revision yet. Only paths gone long ago are
    // dropped (renamed or deleted files), when they outnumber the live ones.
    if (this.fileKeys.size > 2 * files.length + 100) {
      const keep = new Set(files);
      for (const p of this.fileKeys.keys()) if (!keep.has(p)) this.fileKeys.delete(p);
    }
    const known = files.map((f) => this.fileKeys.get(f)).filter((k): k is MasterKeysOfFile => k !== undefined);
    return { files: known, ownRecipients: this.ownRecipients, vault: this.token !== undefined };
  }
}
