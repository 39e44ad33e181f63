// Vault / OpenBao transit wrapping of the sops data key, following getsops/sops
// hcvault/keysource.go: POST <engine_path>/encrypt/<key> {plaintext: base64(dataKey)} and
// <engine_path>/decrypt/<key> {ciphertext}; the stanza stores `vault:v1:...` in `enc`.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { SopsError, VaultError } from '../sops/errors.js';

// node-vault (and its HTTP stack, ~19 MiB RSS) is loaded only when Vault is actually used.
export async function loadNodeVault(): Promise<(options?: import('node-vault').VaultOptions) => import('node-vault').client> {
  return (await import('node-vault')).default;
}

/**
 * How a transit call authenticates: a token or a provider of one. (daemon/config's VaultAuth
 * is the login method a sync configures; the daemon turns it into the provider given here.)
 */
export interface TransitAuth {
  /** A token, or a provider (the daemon logs in with kubernetes/approle). Default: VAULT_TOKEN, then ~/.vault-token. */
  token?: string | (() => Promise<string>);
}

export interface TransitKey {
  address: string;
  enginePath: string;
  keyName: string;
}

/** Parses `https://vault:8200/v1/<mount...>/keys/<key>` as sops' NewMasterKeyFromURI does. */
export function parseTransitUri(uri: string): TransitKey {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new SopsError(uri, 'not a valid Vault transit URI (expected https://vault.example.com:8200/v1/transit/keys/keyName)');
  }
  const path = u.pathname.replace(/^\/+|\/+$/g, '');
  const dirs = path.split('/');
  // v1 / <engine path, one or more segments> / keys / <key>
  if (dirs.length < 4 || !/^v\d+$/.test(dirs[0] as string) || dirs[dirs.length - 2] !== 'keys' || dirs.some((d) => d === '')) {
    throw new SopsError(uri, 'vault path is not formatted correctly (expected https://vault.example.com:8200/v1/transit/keys/keyName)');
  }
  return { address: `${u.protocol}//${u.host}`, enginePath: dirs.slice(1, -2).join('/'), keyName: dirs[dirs.length - 1] as string };
}

async function resolveToken(auth: TransitAuth | undefined, source: string, key: TransitKey): Promise<string> {
  const t = auth?.token;
  if (typeof t === 'string' && t !== '') return t;
  if (typeof t === 'function') {
    try {
      return await t();
    } catch (err) {
      throw new VaultError(
        source,
        key.address,
        key.enginePath,
        key.keyName,
        `token provider failed: ${err instanceof Error ? err.message : 'error'}`,
        undefined,
        { cause: err },
      );
    }
  }
  const env = process.env['VAULT_TOKEN'];
  if (env) return env;
  try {
    return (await readFile(join(homedir(), '.vault-token'), 'utf8')).trim();
  } catch {
    throw new VaultError(source, key.address, key.enginePath, key.keyName, 'no Vault token: set VAULT_TOKEN or provide a token');
  }
}

/** A node-vault error as one line (status and Vault's own first error; never request data). */
export function describeVaultError(err: unknown): { detail: string; status: number | undefined } {
  const e = err as { response?: { statusCode?: number; body?: { errors?: unknown[] } }; code?: string; message?: string };
  const status = e.response?.statusCode;
  if (status !== undefined) {
    const first = e.response?.body?.errors?.[0];
    const msg = typeof first === 'string' ? first.slice(0, 200) : `HTTP ${status}`;
    if (status === 403) return { detail: `permission denied (${msg})`, status };
    if (status === 404 || /not found|no existing key|encryption key not found/i.test(msg))
      return { detail: `key or engine not found (${msg})`, status };
    if (status === 400 && /key not found|not found/i.test(msg)) return { detail: `key not found (${msg})`, status };
    return { detail: `request failed: ${msg}`, status };
  }
  const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  return { detail: `Vault is unreachable (${code ?? e.message?.slice(0, 100) ?? 'network error'})`, status: undefined };
}

async function call(
  key: TransitKey,
  op: 'encrypt' | 'decrypt',
  body: Record<string, string>,
  auth: TransitAuth | undefined,
  source: string,
): Promise<Record<string, unknown>> {
  const token = await resolveToken(auth, source, key);
  const client = (await loadNodeVault())({ apiVersion: 'v1', endpoint: key.address, token, requestOptions: { timeout: 15_000 } });
  let res: unknown;
  try {
    res = await client.write(`${key.enginePath}/${op}/${key.keyName}`, body);
  } catch (err) {
    const { detail, status } = describeVaultError(err);
    // The cause is dropped on purpose: axios errors carry the request body (the data key).
    throw new VaultError(source, key.address, key.enginePath, key.keyName, `${op}: ${detail}`, status);
  }
  const data = (res as { data?: Record<string, unknown> } | undefined)?.data;
  if (!data) throw new VaultError(source, key.address, key.enginePath, key.keyName, `${op}: response has no data`);
  return data;
}

export async function transitEncrypt(key: TransitKey, dataKey: Uint8Array, auth: TransitAuth | undefined, source: string): Promise<string> {
  const data = await call(key, 'encrypt', { plaintext: Buffer.from(dataKey).toString('base64') }, auth, source);
  const ct = data['ciphertext'];
  if (typeof ct !== 'string' || ct === '')
    throw new VaultError(source, key.address, key.enginePath, key.keyName, 'encrypt: response has no ciphertext');
  return ct;
}

export async function transitDecrypt(key: TransitKey, enc: string, auth: TransitAuth | undefined, source: string): Promise<Uint8Array> {
  const data = await call(key, 'decrypt', { ciphertext: enc }, auth, source);
  const pt = data['plaintext'];
  if (typeof pt !== 'string') throw new VaultError(source, key.address, key.enginePath, key.keyName, 'decrypt: response has no plaintext');
  return new Uint8Array(Buffer.from(pt, 'base64'));
}

export function transitUri(key: TransitKey): string {
  return `${key.address}/v1/${key.enginePath}/keys/${key.keyName}`;
}
