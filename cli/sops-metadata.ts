// Reading the recipients recorded in an encrypted file's `sops` block (public data only), so
// `updatekeys` can tell whether a file already matches .sops.yaml and show what changes.
import { isRecord, parseDocuments, type DocFormat } from './k8s-secret.js';

export interface Recipients {
  age: string[];
  hcVaultTransit: string[];
}

/** sops stores a transit key as address + engine path + key name; rebuild the URI form. */
export function vaultUri(entry: Record<string, unknown>): string | undefined {
  const addr = entry['vault_address'];
  const engine = entry['engine_path'];
  const key = entry['key_name'];
  if (typeof addr !== 'string' || typeof engine !== 'string' || typeof key !== 'string') return undefined;
  return `${addr.replace(/\/+$/, '')}/v1/${engine.replace(/^\/+|\/+$/g, '')}/keys/${key}`;
}

export function normalizeVaultUri(uri: string): string {
  return uri.trim().replace(/\/+$/, '');
}

/** Recipients of the first document carrying a sops block; undefined if there is none. */
export function currentRecipients(text: string, format: DocFormat): Recipients | undefined {
  const { docs } = parseDocuments(text, format);
  for (const doc of docs) {
    if (!isRecord(doc) || !isRecord(doc['sops'])) continue;
    const sops = doc['sops'];
    const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
    const age = list(sops['age'])
      .map((e) => e['recipient'])
      .filter((r): r is string => typeof r === 'string');
    const hcVaultTransit = list(sops['hc_vault'])
      .map(vaultUri)
      .filter((u): u is string => u !== undefined);
    return { age, hcVaultTransit };
  }
  return undefined;
}

export interface RecipientDiff {
  added: string[];
  removed: string[];
}

export function diffRecipients(current: Recipients, desired: Recipients): RecipientDiff {
  const norm = (r: Recipients): string[] => [...r.age.map((a) => a.trim()), ...r.hcVaultTransit.map(normalizeVaultUri)];
  const have = new Set(norm(current));
  const want = new Set(norm(desired));
  return {
    added: [...want].filter((k) => !have.has(k)),
    removed: [...have].filter((k) => !want.has(k)),
  };
}
