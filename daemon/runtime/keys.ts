// The decryption keys of one sync, from its `decryption` config: age identities (files, env
// vars or a Kubernetes Secret — re-read at every reconcile so rotations need no restart) and a
// Vault token provider (token, kubernetes or approle login). The data-key cache lives as long
// as the sync, so an unchanged revision makes no Vault calls.
import { parseIdentityFile, type KeyContext } from '../../keys/index.js';
import { resolveSecretRef, type DecryptionSpec } from '../config/index.js';
import type { KubeClient } from '../kube/client.js';
import { fileReader, vaultTokenProvider, type VaultLogin } from '../decrypt/vault-login.js';

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
      if ('token' in auth) login = { kind: 'token', token: () => resolveSecretRef(auth.token.from, this.env) };
      else if ('kubernetes' in auth) login = { kind: 'kubernetes', role: auth.kubernetes.role, mount: auth.kubernetes.mount, jwt: fileReader(auth.kubernetes.tokenFile) };
      else login = { kind: 'approle', mount: auth.approle.mount, roleId: () => resolveSecretRef(auth.approle.roleIdFrom, this.env), secretId: () => resolveSecretRef(auth.approle.secretIdFrom, this.env) };
      this.token = vaultTokenProvider(vault.address, login);
    }
  }

  /** A KeyContext for one reconcile: fresh identities, the long-lived cache and token provider. */
  async context(): Promise<KeyContext> {
    const ageIdentities: string[] = [];
    for (const ref of this.spec?.age?.identitiesFrom ?? []) {
      let text: string;
      let what: string;
      try {
        if ('secret' in ref) {
          what = `age identities from Secret ${ref.secret.namespace}/${ref.secret.name} key ${ref.secret.key}`;
          const s = await this.kube.getOptional<{ data?: Record<string, string> }>(
            `/api/v1/namespaces/${encodeURIComponent(ref.secret.namespace)}/secrets/${encodeURIComponent(ref.secret.name)}`,
          );
          const b64 = s?.data?.[ref.secret.key];
          if (b64 === undefined) throw new Error(s ? 'key not found in Secret' : 'Secret not found');
          text = Buffer.from(b64, 'base64').toString('utf8');
        } else {
          what = `age identities from ${'env' in ref ? `env ${ref.env}` : `file ${ref.file}`}`;
          text = await resolveSecretRef(ref, this.env);
        }
        ageIdentities.push(...parseIdentityFile(text, what));
      } catch (err) {
        throw new KeySourceError(this.sync, 'age identities', err instanceof Error ? err.message : 'error');
      }
    }
    // No age config: an empty list (never the process's own SOPS_AGE_KEY* — keys are per sync).
    return { ageIdentities, dataKeyCache: this.dataKeyCache, ...(this.token ? { vault: { token: this.token } } : {}) };
  }
}
