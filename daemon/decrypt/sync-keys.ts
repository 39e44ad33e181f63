// The decryption keys of one sync, from its `decryption` config: age identities (files, env
// vars or a Kubernetes Secret of the sync's cluster, as every reference here may be — re-read
// at every reconcile so rotations need no restart) and a
// Vault token provider (token, kubernetes or approle login). The data-key cache lives as long
// as the sync, so an unchanged revision makes no Vault calls.
import { mergeSealingKeys, parseIdentityFile, parseSealingKeys, type KeyContext, type SealingKey } from '../../keys/index.js';
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

export class SyncKeys {
  private readonly dataKeyCache = new Map<string, Uint8Array>();
  private readonly token: (() => Promise<string>) | undefined;

  constructor(
    private readonly sync: string,
    private readonly spec: DecryptionSpec | undefined,
    private readonly kube: KubeClient,
    /** Where `{env: NAME}` references are read (the CLI passes its context's environment). */
    private readonly env: NodeJS.ProcessEnv = process.env,
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
    const sealed = await this.sealedSecretKeys();
    // No age config: an empty list (never the process's own SOPS_AGE_KEY* — keys are per sync).
    return {
      ageIdentities,
      dataKeyCache: this.dataKeyCache,
      ...(this.token ? { vault: { token: this.token } } : {}),
      ...(sealed ? { sealedSecrets: sealed } : {}),
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
}
