// The `sops:` metadata block (getsops/sops stores/stores.go Metadata): parsing from the plain
// JS value a store extracted, and the ordered key/value list a store writes back.
import type { CryptRule } from './tree.js';

/** The sops release whose format we write (pinned in test/stack/versions.env). */
export const SOPS_VERSION = '3.13.3';

export interface AgeStanza {
  recipient: string;
  enc: string;
}
export interface VaultStanza {
  vault_address: string;
  engine_path: string;
  key_name: string;
  created_at: string;
  enc: string;
}

export const UNSUPPORTED_KEY_TYPES = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'pgp'] as const;

export interface SopsMetadata {
  age: AgeStanza[];
  hcVault: VaultStanza[];
  /** Stanzas of key types we cannot use, kept verbatim so re-encryption does not drop them. */
  other: Record<string, unknown[]>;
  lastModified: string;
  mac: string;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
  version: string;
}

/** Internal: the file layer turns this into a FormatError naming the file. */
export class MetadataError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string, required = true): string {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new MetadataError(`sops metadata: missing ${where}${key}`);
    return '';
  }
  if (typeof v !== 'string') throw new MetadataError(`sops metadata: ${where}${key} must be a string`);
  return v;
}

function list(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MetadataError(`sops metadata: ${key} must be a list`);
  return v;
}

/** Parses the raw `sops` value. Supports the flat layout and `key_groups` with exactly one group. */
export function parseMetadata(raw: unknown): SopsMetadata {
  if (!isObj(raw)) throw new MetadataError('sops metadata is not a mapping');
  let keys: Obj = raw;
  const groups = list(raw, 'key_groups');
  const hasFlat = ['age', 'hc_vault', ...UNSUPPORTED_KEY_TYPES].some((k) => list(raw, k).length > 0);
  if (!hasFlat && groups.length > 0) {
    if (groups.length > 1) throw new MetadataError('sops metadata: multiple key_groups (Shamir secret sharing) are not supported');
    if (!isObj(groups[0])) throw new MetadataError('sops metadata: key_groups[0] is not a mapping');
    keys = groups[0];
  }
  const age = list(keys, 'age').map((e, i) => {
    if (!isObj(e)) throw new MetadataError(`sops metadata: age[${i}] is not a mapping`);
    return { recipient: str(e, 'recipient', `age[${i}].`), enc: str(e, 'enc', `age[${i}].`) };
  });
  const hcVault = list(keys, 'hc_vault').map((e, i) => {
    if (!isObj(e)) throw new MetadataError(`sops metadata: hc_vault[${i}] is not a mapping`);
    const w = `hc_vault[${i}].`;
    return {
      vault_address: str(e, 'vault_address', w),
      engine_path: str(e, 'engine_path', w),
      key_name: str(e, 'key_name', w),
      created_at: str(e, 'created_at', w, false),
      enc: str(e, 'enc', w),
    };
  });
  const other: Record<string, unknown[]> = {};
  for (const k of UNSUPPORTED_KEY_TYPES) {
    const l = list(keys, k);
    if (l.length > 0) other[k] = l;
  }
  const rule: CryptRule = {};
  const ruleFields: [keyof CryptRule, string][] = [
    ['unencryptedSuffix', 'unencrypted_suffix'],
    ['encryptedSuffix', 'encrypted_suffix'],
    ['unencryptedRegex', 'unencrypted_regex'],
    ['encryptedRegex', 'encrypted_regex'],
    ['unencryptedCommentRegex', 'unencrypted_comment_regex'],
    ['encryptedCommentRegex', 'encrypted_comment_regex'],
  ];
  for (const [field, key] of ruleFields) {
    const v = str(raw, key, '', false);
    if (v !== '') rule[field] = v;
  }
  const moe = raw['mac_only_encrypted'];
  if (moe !== undefined && moe !== null && typeof moe !== 'boolean')
    throw new MetadataError('sops metadata: mac_only_encrypted must be a boolean');
  const lastModified = canonicalRfc3339(str(raw, 'lastmodified', ''));
  if (lastModified === undefined) throw new MetadataError('sops metadata: lastmodified is not an RFC 3339 timestamp');
  const version = raw['version'];
  return {
    age,
    hcVault,
    other,
    lastModified,
    // Not required here: a missing MAC is tampering, which the file layer reports as such.
    mac: str(raw, 'mac', '', false),
    rule,
    macOnlyEncrypted: moe === true,
    version: typeof version === 'string' ? version : String(version ?? ''),
  };
}

/**
 * Go's time.Parse(RFC3339) then Format(RFC3339): fractional seconds dropped, a zero offset
 * written as "Z". The result is the MAC's additional data, so it must match sops exactly.
 */
export function canonicalRfc3339(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const off = m[3] === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : (m[3] as string);
  return `${m[1]}T${m[2]}${off}`;
}

export function nowRfc3339(now = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** A metadata entry in the order sops' Metadata struct declares (and so writes) its fields. */
export type MetaValue = string | boolean | MetaValue[] | { [k: string]: MetaValue };
export type MetaEntries = [string, MetaValue][];

export function metadataEntries(m: SopsMetadata): MetaEntries {
  const out: MetaEntries = [];
  const pushList = (k: string, l: unknown[] | undefined): void => {
    if (l && l.length > 0) out.push([k, l as MetaValue[]]);
  };
  pushList('kms', m.other['kms']);
  pushList('gcp_kms', m.other['gcp_kms']);
  pushList('hckms', m.other['hckms']);
  pushList('azure_kv', m.other['azure_kv']);
  // sops 3.13.3 writes stanza fields (and the block) in alphabetical order.
  pushList(
    'hc_vault',
    m.hcVault.map((v) => ({
      created_at: v.created_at,
      enc: v.enc,
      engine_path: v.engine_path,
      key_name: v.key_name,
      vault_address: v.vault_address,
    })),
  );
  pushList(
    'age',
    m.age.map((a) => ({ enc: a.enc, recipient: a.recipient })),
  );
  out.push(['lastmodified', m.lastModified]);
  out.push(['mac', m.mac]);
  pushList('pgp', m.other['pgp']);
  const r = m.rule;
  if (r.unencryptedSuffix) out.push(['unencrypted_suffix', r.unencryptedSuffix]);
  if (r.encryptedSuffix) out.push(['encrypted_suffix', r.encryptedSuffix]);
  if (r.unencryptedRegex) out.push(['unencrypted_regex', r.unencryptedRegex]);
  if (r.encryptedRegex) out.push(['encrypted_regex', r.encryptedRegex]);
  if (r.unencryptedCommentRegex) out.push(['unencrypted_comment_regex', r.unencryptedCommentRegex]);
  if (r.encryptedCommentRegex) out.push(['encrypted_comment_regex', r.encryptedCommentRegex]);
  if (m.macOnlyEncrypted) out.push(['mac_only_encrypted', true]);
  out.push(['version', m.version]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Stable identity of the key stanzas, used as the data key cache key. */
export function stanzaFingerprint(m: SopsMetadata): string {
  return JSON.stringify({ age: m.age, hc_vault: m.hcVault.map((v) => [v.vault_address, v.engine_path, v.key_name, v.enc]) });
}
