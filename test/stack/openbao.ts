// The stack's Vault-compatible server: a real OpenBao (or, while OpenBao's server module cannot
// be fetched, HashiCorp Vault at its last MPL-2.0 release) in dev mode on loopback, configured
// over its HTTP API the way an operator would: transit for SOPS, kv-v2, AppRole and Kubernetes auth.
// Which server and version is decided in versions.env (VAULT_SERVER, VAULT_SERVER_VERSION);
// test/stack/build/openbao.sh builds it into the cache.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedBin, versions } from './cache.js';
import { freePort, startProcess, stopProcess, StackError, waitFor } from './procs.js';
import type { Started, VaultInfo } from './types.js';

export const TRANSIT_MOUNT = 'sops';
export const TRANSIT_KEY = 'gitops-seal';
export const KV_MOUNT = 'secret';
export const APPROLE_MOUNT = 'approle';
export const APPROLE_ROLE = 'gitops-seal';
export const TRANSIT_POLICY = 'gitops-seal-transit';
export const KUBERNETES_MOUNT = 'kubernetes';
export const KUBERNETES_ROLE = 'gitops-seal';

/** What the transit policy grants: exactly what SOPS' hc_vault_transit needs, nothing else. */
export const TRANSIT_POLICY_HCL = `
path "${TRANSIT_MOUNT}/encrypt/${TRANSIT_KEY}" { capabilities = ["update"] }
path "${TRANSIT_MOUNT}/decrypt/${TRANSIT_KEY}" { capabilities = ["update"] }
`;

export type VaultServerKind = 'openbao' | 'vault';

export interface VaultServerBinary {
  kind: VaultServerKind;
  version: string;
  /** Absolute path of the built server binary (`bao` or `vault`). */
  path: string;
}

/** The pinned server binary from versions.env, at its cache location. */
export function vaultServerBinary(): VaultServerBinary {
  const pins = versions();
  const kind = pins.VAULT_SERVER;
  const version = pins.VAULT_SERVER_VERSION;
  if ((kind !== 'openbao' && kind !== 'vault') || !version) {
    throw new StackError(
      'openbao',
      `versions.env needs VAULT_SERVER=openbao|vault and VAULT_SERVER_VERSION (got ${kind ?? '-'} ${version ?? '-'})`,
    );
  }
  return { kind, version, path: cachedBin(kind, version, kind === 'openbao' ? 'bao' : 'vault') };
}

/** An HTTP API call to the server failed; carries the method, path, status and the server's own error text. */
export class VaultApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly errors: string[],
  ) {
    // Only the path and the server's error list: request bodies may hold secrets and never go in here.
    super(`vault ${method} /v1/${path} -> ${status}: ${errors.join('; ') || '(no error text)'}`);
    this.name = 'VaultApiError';
  }
}

type Json = Record<string, unknown>;

/** One call to the HTTP API (`/v1/<path>`) with a token; returns the decoded JSON body ({} for 204). */
export async function vaultApi(addr: string, token: string, method: string, path: string, body?: Json): Promise<Json> {
  const res = await fetch(`${addr}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = {};
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { errors: [`non-JSON response (${text.length} bytes)`] };
    }
  }
  const json: Json = parsed !== null && typeof parsed === 'object' ? (parsed as Json) : {};
  if (!res.ok) {
    const errors = Array.isArray(json.errors) ? json.errors.map(String) : [];
    throw new VaultApiError(method, path, res.status, errors);
  }
  return json;
}

function field(obj: Json, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[k];
  }
  return cur;
}

function stringField(obj: Json, what: string, ...keys: string[]): string {
  const v = field(obj, ...keys);
  if (typeof v !== 'string' || v === '') throw new StackError('openbao', `response has no ${what} (${keys.join('.')})`);
  return v;
}

export interface StartOpenBaoOptions {
  /** Server binary; defaults to the pinned, cached one (see vaultServerBinary). */
  binary?: string;
  /** Root token of the dev server; defaults to a fresh random one. */
  rootToken?: string;
  /** Loopback port; defaults to a free one. */
  port?: number;
  /** Process/log name; default `openbao`. */
  name?: string;
  /** How long to wait for the server to become healthy. */
  timeoutMs?: number;
}

/**
 * Start a dev-mode server (in-memory storage, already unsealed) on 127.0.0.1 and configure it:
 * transit at `sops/` with key `gitops-seal`, kv-v2 at `secret/`, policy `gitops-seal-transit`,
 * AppRole at `approle/` with role `gitops-seal` under that policy.
 */
export async function startOpenBao(opts: StartOpenBaoOptions = {}): Promise<Started<VaultInfo>> {
  const binary = opts.binary ?? vaultServerBinary().path;
  if (!existsSync(binary)) {
    throw new StackError('openbao', `server binary ${binary} is missing; run test/stack/build/openbao.sh`);
  }
  const name = opts.name ?? 'openbao';
  const port = opts.port ?? (await freePort());
  const rootToken = opts.rootToken ?? `root-${randomBytes(16).toString('hex')}`;
  const addr = `http://127.0.0.1:${port}`;
  // A private HOME: even if a server build ignored -dev-no-store-token, no ~/.vault-token is
  // written into the real home, and the temp HOME is removed on stop.
  const home = mkdtempSync(join(tmpdir(), 'gitops-seal-vault-home-'));
  // The root token goes in through the environment, not argv, so `ps` does not show it.
  // Both spellings: OpenBao reads BAO_*, Vault reads VAULT_*.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    VAULT_DEV_ROOT_TOKEN_ID: rootToken,
    VAULT_DEV_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    BAO_DEV_ROOT_TOKEN_ID: rootToken,
    BAO_DEV_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    VAULT_DISABLE_MLOCK: 'true',
  };
  const proc = startProcess(name, binary, ['server', '-dev', '-dev-no-store-token', '-log-level=info'], { env, cwd: home });
  const stop = async (): Promise<void> => {
    await stopProcess(proc);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `${name} health on ${addr}`,
      async () => {
        const res = await fetch(`${addr}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200; // 200 = initialized, unsealed, active
      },
      { proc, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 100 },
    );
    const info = await configure(addr, rootToken);
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function configure(addr: string, rootToken: string): Promise<VaultInfo> {
  const api = (method: string, path: string, body?: Json): Promise<Json> => vaultApi(addr, rootToken, method, path, body);

  await api('POST', `sys/mounts/${TRANSIT_MOUNT}`, { type: 'transit', description: 'SOPS data keys' });
  await api('POST', `${TRANSIT_MOUNT}/keys/${TRANSIT_KEY}`, { type: 'aes256-gcm96' });

  await ensureKvV2(api);

  await api('PUT', `sys/policies/acl/${TRANSIT_POLICY}`, { policy: TRANSIT_POLICY_HCL });

  await api('POST', `sys/auth/${APPROLE_MOUNT}`, { type: 'approle' });
  await api('POST', `auth/${APPROLE_MOUNT}/role/${APPROLE_ROLE}`, {
    token_policies: [TRANSIT_POLICY],
    token_ttl: '1h',
    token_max_ttl: '4h',
    secret_id_ttl: '0',
  });
  const roleId = stringField(await api('GET', `auth/${APPROLE_MOUNT}/role/${APPROLE_ROLE}/role-id`), 'role_id', 'data', 'role_id');
  const secretId = stringField(
    await api('POST', `auth/${APPROLE_MOUNT}/role/${APPROLE_ROLE}/secret-id`, {}),
    'secret_id',
    'data',
    'secret_id',
  );

  return {
    addr,
    rootToken,
    transitMount: TRANSIT_MOUNT,
    transitKey: TRANSIT_KEY,
    transitUri: `${addr}/v1/${TRANSIT_MOUNT}/keys/${TRANSIT_KEY}`,
    kvMount: KV_MOUNT,
    approle: { roleId, secretId, mount: APPROLE_MOUNT },
    kubernetesAuth: null,
  };
}

/** Dev mode mounts kv-v2 at secret/; make sure it is there and is version 2 whatever the server's default. */
async function ensureKvV2(api: (method: string, path: string, body?: Json) => Promise<Json>): Promise<void> {
  const mounts = await api('GET', 'sys/mounts');
  const table = (field(mounts, 'data') ?? mounts) as Json;
  const existing = table[`${KV_MOUNT}/`];
  if (existing === undefined) {
    await api('POST', `sys/mounts/${KV_MOUNT}`, { type: 'kv', options: { version: '2' } });
  } else if (field(existing as Json, 'options', 'version') !== '2') {
    await api('POST', `sys/mounts/${KV_MOUNT}/tune`, { options: { version: '2' } });
  }
  // The upgrade to v2 is asynchronous; wait until the mount answers v2 config reads.
  await waitFor(
    'kv-v2 ready',
    async () => {
      await api('GET', `${KV_MOUNT}/config`);
      return true;
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
}

export interface KubeForVault {
  /** https URL of the kube-apiserver. */
  server: string;
  /** PEM file of the apiserver's serving CA. */
  caFile: string;
  /** A bearer token with TokenReview rights (the stack's static admin token). */
  token: string;
}

/**
 * Enable Kubernetes auth at `kubernetes/` pointed at the test apiserver, with role `gitops-seal`
 * bound to ServiceAccount `sa` and the transit policy.
 *
 * The reviewer token: the auth plugin refuses a `token_reviewer_jwt` that does not parse as a JWT
 * (it checks the JWS form, not the signature), and the stack's admin token is a static token-file
 * token, not a JWT. So a JWT-shaped token is passed as reviewer; any other token is not, and with
 * `disable_local_ca_jwt=true` the server uses the logging-in client's own JWT for the TokenReview
 * call. That ServiceAccount therefore needs `system:auth-delegator` (a ClusterRoleBinding, made
 * by whoever creates the SA in the cluster).
 */
export async function configureKubernetesAuth(
  vault: VaultInfo,
  kube: KubeForVault,
  sa: { namespace: string; name: string },
): Promise<NonNullable<VaultInfo['kubernetesAuth']>> {
  const api = (method: string, path: string, body?: Json): Promise<Json> => vaultApi(vault.addr, vault.rootToken, method, path, body);
  const auths = await api('GET', 'sys/auth');
  const table = (field(auths, 'data') ?? auths) as Json;
  if (table[`${KUBERNETES_MOUNT}/`] === undefined) {
    await api('POST', `sys/auth/${KUBERNETES_MOUNT}`, { type: 'kubernetes' });
  }
  const config: Json = {
    kubernetes_host: kube.server,
    kubernetes_ca_cert: readFileSync(kube.caFile, 'utf8'),
    disable_local_ca_jwt: true,
  };
  if (looksLikeJwt(kube.token)) config.token_reviewer_jwt = kube.token;
  await api('POST', `auth/${KUBERNETES_MOUNT}/config`, config);
  await api('POST', `auth/${KUBERNETES_MOUNT}/role/${KUBERNETES_ROLE}`, {
    bound_service_account_names: [sa.name],
    bound_service_account_namespaces: [sa.namespace],
    token_policies: [TRANSIT_POLICY],
    token_ttl: '1h',
  });
  return { mount: KUBERNETES_MOUNT, role: KUBERNETES_ROLE, serviceAccount: { namespace: sa.namespace, name: sa.name } };
}

/** A compact JWS: three base64url segments, the first decoding to a JSON header with `alg`. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && typeof (header as Json).alg === 'string';
  } catch {
    return false;
  }
}
