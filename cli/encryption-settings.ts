// Which keys and crypt rule to encrypt a file with: command-line flags override the matching
// `.sops.yaml` creation rule, field group by field group (keys; crypt rule; mac_only_encrypted),
// as sops does. Kubernetes Secrets get `encrypted_regex: ^(data|stringData)$` when nothing else
// says what to encrypt, so apiVersion/kind/metadata stay readable for GitOps tooling.
import { Command, Option } from 'commander';
import { ConfigError } from './errors.js';
import { SECRET_ENCRYPTED_REGEX } from './k8s-secret.js';
import { assertUsableKeys, loadCreationRule, type CryptRuleConfig, type ResolvedRule } from './sops-config.js';

export interface KeyFlags {
  age?: string[];
  hcVaultTransit?: string[];
  config?: string;
}

export interface CryptFlags {
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  macOnlyEncrypted?: boolean;
}

export interface EncryptionSettings {
  keys: { age: string[]; hcVaultTransit: string[] };
  rule: CryptRuleConfig | undefined;
  macOnlyEncrypted: boolean;
  /** Where the settings came from, for error messages. */
  rulePath: string | undefined;
}

/** commander argParser accumulating comma-separated, repeatable values. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

export function addKeyOptions(cmd: Command): Command {
  return cmd
    .option('--age <recipients>', 'age recipients (comma-separated, repeatable); overrides .sops.yaml', collectList)
    .option('--hc-vault-transit <uris>', 'Vault/OpenBao transit key URIs, e.g. https://vault:8200/v1/transit/keys/k (comma-separated, repeatable)', collectList)
    .option('--config <file>', 'use this .sops.yaml instead of looking it up from the file directory upward');
}

export function addCryptOptions(cmd: Command): Command {
  const names = ['encrypted-regex', 'unencrypted-regex', 'encrypted-suffix', 'unencrypted-suffix'];
  const option = (name: string, arg: string, desc: string): Option =>
    new Option(`--${name} <${arg}>`, desc).conflicts(names.filter((n) => n !== name).map(camel));
  return cmd
    .addOption(option('encrypted-regex', 'regex', 'encrypt only values whose key (or an ancestor key) matches'))
    .addOption(option('unencrypted-regex', 'regex', 'leave values whose key matches in plaintext'))
    .addOption(option('encrypted-suffix', 'suffix', 'encrypt only values whose key ends with the suffix'))
    .addOption(option('unencrypted-suffix', 'suffix', 'leave values whose key ends with the suffix in plaintext'))
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only');
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function cryptFromFlags(flags: CryptFlags): CryptRuleConfig | undefined {
  if (flags.encryptedRegex !== undefined) return { encryptedRegex: flags.encryptedRegex };
  if (flags.unencryptedRegex !== undefined) return { unencryptedRegex: flags.unencryptedRegex };
  if (flags.encryptedSuffix !== undefined) return { encryptedSuffix: flags.encryptedSuffix };
  if (flags.unencryptedSuffix !== undefined) return { unencryptedSuffix: flags.unencryptedSuffix };
  return undefined;
}

/**
 * Pure merge of flags, the matching creation rule (if any) and the Secret default.
 * Throws ConfigError when no recipient is known at all.
 */
export function mergeSettings(
  target: string,
  flags: KeyFlags & CryptFlags,
  rule: ResolvedRule | undefined,
  isSecret: boolean,
): EncryptionSettings {
  const flagKeys = (flags.age?.length ?? 0) + (flags.hcVaultTransit?.length ?? 0) > 0;
  if (!flagKeys && rule) assertUsableKeys(rule, target);
  const keys = flagKeys
    ? { age: flags.age ?? [], hcVaultTransit: flags.hcVaultTransit ?? [] }
    : { age: rule?.age ?? [], hcVaultTransit: rule?.hcVaultTransit ?? [] };
  if (keys.age.length + keys.hcVaultTransit.length === 0) {
    if (rule) {
      throw new ConfigError(`creation_rules[${rule.index}] in ${rule.configPath} gives no age or hc_vault_transit_uri recipients`, target);
    }
    throw new ConfigError('no recipients: pass --age/--hc-vault-transit or add a matching creation rule to .sops.yaml', target);
  }
  let crypt = cryptFromFlags(flags) ?? rule?.crypt;
  if (crypt === undefined && isSecret) crypt = { encryptedRegex: SECRET_ENCRYPTED_REGEX };
  return {
    keys,
    rule: crypt,
    macOnlyEncrypted: flags.macOnlyEncrypted === true || rule?.macOnlyEncrypted === true,
    rulePath: rule ? rule.configPath : undefined,
  };
}

/** Resolve settings for encrypting `target` (an absolute path; it need not exist yet). */
export async function resolveSettings(target: string, flags: KeyFlags & CryptFlags, isSecret: boolean, cwdResolve: (p: string) => string): Promise<EncryptionSettings> {
  const rule = await loadCreationRule(target, flags.config !== undefined ? cwdResolve(flags.config) : undefined);
  return mergeSettings(target, flags, rule, isSecret);
}
