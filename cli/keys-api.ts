// The CLI's view of keys/: loaded with a dynamic import so that argument parsing, `--help` and
// the pure helpers never pull in the crypto stack.
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as Keys from '../keys/index.js';
import { KeyError } from './errors.js';

export type KeysApi = typeof Keys;
export type KeyContext = Keys.KeyContext;
export type MasterKeySpec = Keys.MasterKeySpec;
export type CryptRule = Keys.CryptRule;
export type FileFormat = Keys.FileFormat;

export async function loadKeys(): Promise<KeysApi> {
  return import('../keys/index.js');
}

/**
 * Vault token resolution as the vault CLI and sops do it: VAULT_TOKEN, else the token helper
 * file ~/.vault-token. Only called when a Vault transit key is actually used.
 */
export function vaultTokenSource(env: NodeJS.ProcessEnv): () => Promise<string> {
  return async () => {
    const fromEnv = env['VAULT_TOKEN']?.trim();
    if (fromEnv) return fromEnv;
    const file = join(env['HOME'] ?? homedir(), '.vault-token');
    try {
      const token = (await fsp.readFile(file, 'utf8')).trim();
      if (token) return token;
    } catch {
      /* fall through */
    }
    throw new KeyError('no Vault token: set VAULT_TOKEN or log in so that ~/.vault-token exists');
  };
}

/** `--age-key-file`: a file, or identities already read (from standard input for `-`). */
export type AgeKeyArg = { file: string } | { text: string; label: string } | undefined;

/** Key context for commands that need to decrypt; identities come from flags/env/default file. */
export async function decryptionContext(keys: KeysApi, env: NodeJS.ProcessEnv, ageKey?: AgeKeyArg): Promise<KeyContext> {
  const given = ageKey !== undefined && 'text' in ageKey ? keys.parseIdentityFile(ageKey.text, ageKey.label) : [];
  const found = await keys.loadAgeIdentities(ageKey !== undefined && 'file' in ageKey ? { keyFile: ageKey.file, env } : { env });
  return { ageIdentities: [...new Set([...given, ...found])], vault: { token: vaultTokenSource(env) }, dataKeyCache: new Map() };
}

/** Key context for encryption only: no identities needed, Vault token resolved lazily. */
export function encryptionContext(env: NodeJS.ProcessEnv): KeyContext {
  return { vault: { token: vaultTokenSource(env) } };
}
