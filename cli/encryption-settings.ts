// Which keys and crypt rule to encrypt a file with: command-line flags override the matching
// `.sops.yaml` creation rule, field group by field group (keys; crypt rule; mac_only_encrypted),
// as sops does. Kubernetes Secrets get `encrypted_regex: ^(data|stringData)$` when nothing else
// says what to encrypt, so apiVersion/kind/metadata stay readable for GitOps tooling.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { displayPath } from './context.js';
import { ConfigError, UsageError } from './errors.js';
import { SECRET_ENCRYPTED_REGEX } from './k8s-secret.js';
import { assertValidRecipients } from './recipient-check.js';
import {
  assertUsableKeys,
  compileGoRegex,
  CONFIG_FILE_NAME,
  findConfigFile,
  lookupCreationRule,
  type CryptRuleConfig,
  type ResolvedRule,
  type RuleLookup,
} from './sops-config.js';

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
    .option(
      '--hc-vault-transit <uris>',
      'Vault/OpenBao transit key URIs, e.g. https://vault:8200/v1/transit/keys/k (comma-separated, repeatable)',
      collectList,
    )
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
 * Pure merge of flags, the matching creation rule (if any) and the Secret default. `target`
 * names the file in errors; `configPath` is the `.sops.yaml` read, if any.
 * Throws ConfigError when no recipient is known at all.
 */
export function mergeSettings(
  target: string,
  flags: KeyFlags & CryptFlags,
  rule: ResolvedRule | undefined,
  isSecret: boolean,
  configPath?: string,
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
    if (configPath !== undefined) {
      throw new ConfigError(
        `no creation rule in ${configPath} matches this file, so it has no recipients: add a rule (path_regex) for it, or pass --age/--hc-vault-transit`,
        target,
      );
    }
    throw new ConfigError(
      "no recipients: pass --age/--hc-vault-transit, or add a .sops.yaml with a creation rule (none was found from the file's directory upward)",
      target,
    );
  }
  const fromFlags = cryptFromFlags(flags);
  if (fromFlags !== undefined) assertCryptRegex(fromFlags, (what) => new UsageError(`--${what} is not a valid regular expression`, target));
  else if (rule?.crypt !== undefined) {
    assertCryptRegex(
      rule.crypt,
      (what) =>
        new ConfigError(`creation_rules[${rule.index}].${what.replace(/-/g, '_')} is not a valid regular expression`, rule.configPath),
    );
  }
  let crypt = fromFlags ?? rule?.crypt;
  if (crypt === undefined && isSecret) crypt = { encryptedRegex: SECRET_ENCRYPTED_REGEX };
  return {
    keys,
    rule: crypt,
    macOnlyEncrypted: flags.macOnlyEncrypted === true || rule?.macOnlyEncrypted === true,
    rulePath: rule ? rule.configPath : undefined,
  };
}

/** Where the recipients came from, for messages that must not quote them. */
export function recipientOrigins(flagKeys: boolean, rule: ResolvedRule | undefined): { age: string; vault: string } {
  if (flagKeys || !rule) return { age: '--age', vault: '--hc-vault-transit' };
  const where = `creation_rules[${rule.index}] in ${rule.configPath}`;
  return { age: where, vault: where };
}

/** A crypt regex that does not compile is refused here, before any key service is called. */
function assertCryptRegex(rule: CryptRuleConfig, error: (flag: string) => Error): void {
  const regexes: Array<[string, string | undefined]> = [
    ['encrypted-regex', rule.encryptedRegex],
    ['unencrypted-regex', rule.unencryptedRegex],
    ['encrypted-comment-regex', rule.encryptedCommentRegex],
    ['unencrypted-comment-regex', rule.unencryptedCommentRegex],
  ];
  for (const [name, source] of regexes) {
    if (source === undefined) continue;
    try {
      compileGoRegex(source);
    } catch {
      throw error(name);
    }
  }
}

/** The `.sops.yaml` to use: `--config`, else `$SOPS_CONFIG` (as sops), else looked up. */
export function explicitConfig(flag: string | undefined, env: NodeJS.ProcessEnv, cwdResolve: (p: string) => string): string | undefined {
  const given = flag ?? (env['SOPS_CONFIG'] || undefined);
  return given !== undefined ? cwdResolve(given) : undefined;
}

export interface SettingsContext {
  resolvePath: (p: string) => string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: { write(s: string): unknown };
}

// Lines already written per output stream: updatekeys looks the config up once per file.
const said = new WeakMap<object, Set<string>>();

function sayOnce(ctx: SettingsContext, line: string): void {
  const lines = said.get(ctx.stderr) ?? new Set<string>();
  said.set(ctx.stderr, lines);
  if (lines.has(line)) return;
  lines.add(line);
  ctx.stderr.write(line);
}

/**
 * sops 3.13 looks `.sops.yaml` up from the *current directory* upward; we look from the file's
 * directory upward, so a file in another directory (or repository) gets its own rules. When the
 * two lookups disagree, say so, so a team mixing both tools is not surprised by recipients.
 * A `.sops.yml` passed over is reported in sops' words (it ignores that name too).
 */
export async function noteSopsLookup(ctx: SettingsContext, found: Pick<RuleLookup, 'configPath' | 'ignored'>): Promise<void> {
  const show = (p: string | undefined): string => (p === undefined ? 'none' : displayPath(ctx.cwd, p));
  const used = found.configPath;
  if (found.ignored !== undefined) {
    const instead = used !== undefined ? `; using ${show(used)} instead` : '';
    sayOnce(ctx, `gitops-seal: warning: ignoring ${show(found.ignored)}: the config file must be called ${CONFIG_FILE_NAME}${instead}\n`);
  }
  const sops = await findConfigFile(join(ctx.cwd, '_'));
  if (sops === used) return;
  sayOnce(ctx, `gitops-seal: note: using ${show(used)} (nearest to the file); sops run from this directory would use ${show(sops)}\n`);
}

/**
 * Resolve settings for encrypting `target` (an absolute path; it need not exist yet). Errors
 * name `label`, the path as the user typed it.
 */
export async function resolveSettings(
  target: string,
  label: string,
  flags: KeyFlags & CryptFlags,
  isSecret: boolean,
  ctx: SettingsContext,
): Promise<EncryptionSettings> {
  const explicit = explicitConfig(flags.config, ctx.env, ctx.resolvePath);
  const found = await lookupCreationRule(target, explicit, (p) => displayPath(ctx.cwd, p));
  if (explicit === undefined) await noteSopsLookup(ctx, found);
  const configPath = found.configPath !== undefined ? displayPath(ctx.cwd, found.configPath) : undefined;
  const rule = found.rule && configPath !== undefined ? { ...found.rule, configPath } : undefined;
  const settings = mergeSettings(label, flags, rule, isSecret, configPath);
  const flagKeys = (flags.age?.length ?? 0) + (flags.hcVaultTransit?.length ?? 0) > 0;
  assertValidRecipients(settings.keys, recipientOrigins(flagKeys, rule), label);
  return settings;
}
