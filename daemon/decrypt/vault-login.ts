// Vault/OpenBao logins for the daemon: a token provider for keys/vault that logs in with a
// static token, Kubernetes auth (the pod's ServiceAccount token) or AppRole, and caches the
// client token until 80% of its lease has passed, so steady-state decrypts make no login calls.
import { readFile } from 'node:fs/promises';
import { describeVaultError, loadNodeVault } from '../../keys/index.js';

export type VaultLogin =
  | { kind: 'token'; token: () => Promise<string> }
  | { kind: 'kubernetes'; role: string; mount: string; jwt: () => Promise<string> }
  | { kind: 'approle'; mount: string; roleId: () => Promise<string>; secretId: () => Promise<string> };

export class VaultLoginError extends Error {
  constructor(
    readonly address: string,
    readonly method: string,
    cause: string,
  ) {
    super(`vault ${address}: ${method} login failed: ${cause}`);
    this.name = 'VaultLoginError';
  }
}

interface LoginResult {
  auth?: { client_token?: string; lease_duration?: number };
}

/** Returns a token provider: `() => Promise<token>`, logging in lazily and re-logging before expiry. */
export function vaultTokenProvider(address: string, login: VaultLogin, now: () => number = Date.now): () => Promise<string> {
  if (login.kind === 'token') return login.token;
  let cached: { token: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  const doLogin = async (): Promise<string> => {
    const client = (await loadNodeVault())({ endpoint: address, noCustomHTTPVerbs: true });
    let res: LoginResult;
    try {
      res =
        login.kind === 'kubernetes'
          ? ((await client.kubernetesLogin({ role: login.role, jwt: await login.jwt(), mount_point: login.mount })) as LoginResult)
          : ((await client.approleLogin({
              role_id: await login.roleId(),
              secret_id: await login.secretId(),
              mount_point: login.mount,
            })) as LoginResult);
    } catch (err) {
      throw new VaultLoginError(address, login.kind, describeVaultError(err).detail);
    }
    const token = res.auth?.client_token;
    if (!token) throw new VaultLoginError(address, login.kind, 'no client token in the response');
    const ttlMs = (res.auth?.lease_duration ?? 0) * 1000;
    cached = { token, renewAt: ttlMs > 0 ? now() + ttlMs * 0.8 : Number.POSITIVE_INFINITY };
    return token;
  };
  return async () => {
    if (cached && now() < cached.renewAt) return cached.token;
    inflight ??= doLogin().finally(() => (inflight = undefined));
    return inflight;
  };
}

/** Reads a ServiceAccount token file each time (kubelet rotates projected tokens). */
export function fileReader(path: string): () => Promise<string> {
  return async () => (await readFile(path, 'utf8')).trim();
}
