// Master keys: wrapping a new data key for recipients, and recovering it from a file's
// stanzas (age first — local and cheap — then Vault transit), with a cache keyed by the
// stanzas so an unchanged file never causes a second Vault round trip.
import { armor } from 'age-encryption';

import { AgeStanzaError, recipientOf, recipientProblem, splitRecipients, unwrapDataKey, wrapDataKey } from '../age/recipients.js';
import { loadAgeIdentities } from '../age/identities.js';
import { parseTransitUri, transitDecrypt, transitEncrypt, transitUri, type TransitAuth } from '../vault/transit.js';
import { NoMatchingKeyError, SopsError, TamperedError, UnsupportedKeyTypeError, VaultError, type KeyAttempt } from './errors.js';
import { nowRfc3339, stanzaFingerprint, type AgeStanza, type SopsMetadata, type VaultStanza } from './metadata.js';

export interface MasterKeySpec {
  /** age1... recipients (comma-separated lists allowed). */
  age?: string[];
  /** Transit URIs: https://vault:8200/v1/<mount>/keys/<key>. */
  hcVaultTransit?: string[];
}

export interface KeyContext {
  /** AGE-SECRET-KEY-1... identities. Undefined: load them as sops does (env, default file). */
  ageIdentities?: string[];
  vault?: TransitAuth;
  /** Data keys by stanza fingerprint; shared across calls by the daemon. */
  dataKeyCache?: Map<string, Uint8Array>;
  /**
   * Told the master keys of every file whose data key is asked for (cached or not), before any
   * is tried: the daemon counts files that only a retired cluster key opens (public ids only).
   */
  onMasterKeys?: (source: string, keys: MasterKeysOfFile) => void;
}

/** A file's master keys as its sops metadata names them: age recipients, and how many transit keys. */
export interface MasterKeysOfFile {
  age: readonly string[];
  hcVault: number;
}

export async function wrapForKeys(
  dataKey: Uint8Array,
  spec: MasterKeySpec,
  ctx: KeyContext,
  source: string,
): Promise<{ age: AgeStanza[]; hcVault: VaultStanza[] }> {
  const ageRecipients = [...new Set(splitRecipients(spec.age ?? []))];
  const uris = [...new Set(splitRecipients(spec.hcVaultTransit ?? []))];
  if (ageRecipients.length === 0 && uris.length === 0)
    throw new SopsError(source, 'no master keys given: need at least one age recipient or hc_vault transit URI');
  const age: AgeStanza[] = [];
  for (const r of ageRecipients) {
    const problem = recipientProblem(r);
    if (problem !== undefined) throw new SopsError(source, `age recipient #${ageRecipients.indexOf(r) + 1} ${problem}`);
    age.push({ recipient: r, enc: await wrapDataKey(dataKey, r) });
  }
  const hcVault: VaultStanza[] = [];
  for (const uri of uris) {
    const k = parseTransitUri(uri);
    const enc = await transitEncrypt(k, dataKey, ctx.vault, source);
    hcVault.push({ vault_address: k.address, engine_path: k.enginePath, key_name: k.keyName, created_at: nowRfc3339(), enc });
  }
  return { age, hcVault };
}

/** The master keys of an existing file, as a spec (for rotation). */
export function specFromMetadata(m: SopsMetadata): MasterKeySpec {
  return {
    age: m.age.map((a) => a.recipient),
    hcVaultTransit: m.hcVault.map((v) => transitUri({ address: v.vault_address, enginePath: v.engine_path, keyName: v.key_name })),
  };
}

/**
 * Structural checks on every stanza, so a corrupted stanza is refused even when another
 * stanza could decrypt (sops' MAC does not cover the metadata).
 */
function checkStanzas(m: SopsMetadata, source: string): void {
  m.age.forEach((a, i) => {
    try {
      armor.decode(a.enc);
    } catch {
      throw new TamperedError(source, `age[${i}] (${a.recipient}) enc is not a valid age armored file`);
    }
  });
  m.hcVault.forEach((v, i) => {
    if (!/^vault:v\d+:[A-Za-z0-9+/]+={0,2}$/.test(v.enc.trim()))
      throw new TamperedError(source, `hc_vault[${i}] (${v.vault_address}) enc is not a transit ciphertext`);
  });
}

export async function getDataKey(m: SopsMetadata, ctx: KeyContext, source: string): Promise<Uint8Array> {
  ctx.onMasterKeys?.(source, { age: m.age.map((a) => a.recipient.trim()), hcVault: m.hcVault.length });
  const fp = stanzaFingerprint(m);
  const cached = ctx.dataKeyCache?.get(fp);
  if (cached) return cached;
  checkStanzas(m, source);
  const attempts: KeyAttempt[] = [];
  let key: Uint8Array | undefined;

  if (m.age.length > 0) {
    const identities = ctx.ageIdentities ?? (await loadAgeIdentities());
    const byRecipient = new Map<string, string>();
    for (const id of identities) byRecipient.set(await recipientOf(id), id);
    for (const [i, a] of m.age.entries()) {
      const own = byRecipient.get(a.recipient.trim());
      // Try the identity the stanza names first; the rest catch a renamed recipient.
      const order = own ? [own, ...identities.filter((x) => x !== own)] : identities;
      let res;
      try {
        res = await unwrapDataKey(a.enc, order);
      } catch (err) {
        if (err instanceof AgeStanzaError) throw new TamperedError(source, `age[${i}] (${a.recipient}): ${err.message}`);
        throw err;
      }
      if (!res) {
        if (own) throw new TamperedError(source, `age[${i}] enc does not unwrap with the identity of its recipient ${a.recipient}`);
        attempts.push({
          type: 'age',
          id: a.recipient,
          reason: identities.length === 0 ? 'no age identities available' : 'no matching identity',
        });
        continue;
      }
      if (res.recipient !== a.recipient.trim())
        throw new TamperedError(source, `age[${i}] recipient ${a.recipient} does not match the key that wraps the data key`);
      key = res.dataKey;
      break;
    }
  }
  if (!key) {
    for (const [i, v] of m.hcVault.entries()) {
      try {
        const k = await transitDecrypt(
          { address: v.vault_address, enginePath: v.engine_path, keyName: v.key_name },
          v.enc.trim(),
          ctx.vault,
          source,
        );
        if (k.length !== 32) throw new TamperedError(source, `hc_vault[${i}] unwrapped a ${k.length}-byte data key, expected 32`);
        key = k;
        break;
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        attempts.push({
          type: 'hc_vault',
          id: `${v.vault_address}/v1/${v.engine_path}/keys/${v.key_name}`,
          reason: err.message.slice(source.length + 2),
        });
      }
    }
  }
  if (!key) {
    const other = Object.keys(m.other);
    if (other.length > 0)
      throw new UnsupportedKeyTypeError(
        source,
        other,
        attempts.length
          ? `tried: ${attempts.map((a) => `${a.type} ${a.id} (${a.reason})`).join('; ')}`
          : 'the file has no age or hc_vault key',
      );
    throw new NoMatchingKeyError(source, attempts);
  }
  ctx.dataKeyCache?.set(fp, key);
  return key;
}
