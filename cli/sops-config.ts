// `.sops.yaml` lookup and creation-rule matching, following sops' semantics:
// - the config is the first `.sops.yaml` found from the file's directory upward (max 100 levels);
//   `.sops.yml` is not read (sops 3.13 ignores it too, with a warning);
// - `path_regex` is matched (unanchored, RE2 syntax) against the file path relative to the
//   config's directory, and the first rule that matches wins; a rule without `path_regex`
//   matches everything;
// - `age` / `hc_vault_transit_uri` are a comma-separated string or a list;
// - at most one of the encrypted/unencrypted regex/suffix settings per rule.
import type { CryptRule } from '../keys/index.js';
import { promises as fsp } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, sanitizeMessage } from './errors.js';

export const CONFIG_FILE_NAME = '.sops.yaml';
const MAX_DEPTH = 100;

/** keys/ `CryptRule` (a type-only import: this module still loads no crypto code). */
export type CryptRuleConfig = CryptRule;

export interface ResolvedRule {
  /** Path of the `.sops.yaml` the rule came from. */
  configPath: string;
  /** Index of the matching entry in `creation_rules`. */
  index: number;
  age: string[];
  hcVaultTransit: string[];
  /**
   * Key types the rule names that gitops-seal cannot use (pgp, kms, ...). Using the rule's keys
   * is refused when this is non-empty; flags that replace the keys make it irrelevant.
   */
  unsupportedKeys: string[];
  /** Undefined when the rule sets no crypt rule (so callers can apply their own default). */
  crypt: CryptRuleConfig | undefined;
  macOnlyEncrypted: boolean;
}

const CRYPT_FIELDS: ReadonlyArray<[string, keyof CryptRuleConfig]> = [
  ['encrypted_regex', 'encryptedRegex'],
  ['unencrypted_regex', 'unencryptedRegex'],
  ['encrypted_suffix', 'encryptedSuffix'],
  ['unencrypted_suffix', 'unencryptedSuffix'],
  ['encrypted_comment_regex', 'encryptedCommentRegex'],
  ['unencrypted_comment_regex', 'unencryptedCommentRegex'],
];

// Key types sops supports that gitops-seal cannot use. Silently dropping them would encrypt a
// file that some teammate can no longer open, so using such a rule's keys is refused.
const UNSUPPORTED_KEY_FIELDS = ['pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hckms', 'plugins'];

function unsupportedIn(entry: Record<string, unknown>): string[] {
  return UNSUPPORTED_KEY_FIELDS.filter((field) => {
    const v = entry[field];
    return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
  });
}

/** Throw if the rule's own keys cannot be used as they are. */
export function assertUsableKeys(rule: ResolvedRule, target: string): void {
  if (rule.unsupportedKeys.length > 0) {
    throw new ConfigError(
      `creation_rules[${rule.index}] in ${rule.configPath} uses ${rule.unsupportedKeys.join(', ')} keys, which gitops-seal does not support (only age and hc_vault_transit_uri)`,
      target,
    );
  }
}

/** sops' alternate name: found but never read (sops 3.13 config.LookupConfigFile warns about it). */
export const ALTERNATE_CONFIG_NAME = '.sops.yml';

export interface ConfigFileLookup {
  /** The nearest `.sops.yaml`, or undefined. */
  path: string | undefined;
  /** The nearest `.sops.yml` met on the way (below `path`, or anywhere when none was found). */
  ignored: string | undefined;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Find the `.sops.yaml` governing `filePath`, from its directory upward. Like sops, `.sops.yml`
 * is not read, only reported, so that a user who named it so learns why its rules do not apply.
 */
export async function lookupConfigFile(filePath: string): Promise<ConfigFileLookup> {
  let dir = dirname(resolve(filePath));
  let ignored: string | undefined;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await isFile(candidate)) return { path: candidate, ignored };
    if (ignored === undefined && (await isFile(join(dir, ALTERNATE_CONFIG_NAME)))) ignored = join(dir, ALTERNATE_CONFIG_NAME);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { path: undefined, ignored };
}

/** Find the `.sops.yaml` governing `filePath`, or undefined. */
export async function findConfigFile(filePath: string): Promise<string | undefined> {
  return (await lookupConfigFile(filePath)).path;
}

/**
 * Compile a Go RE2 pattern as a JS RegExp. The common RE2-only construct in `.sops.yaml` files is
 * a leading inline flag group like `(?i)`, which JS (Node 20) does not accept; it becomes a flag.
 */
export function compileGoRegex(pattern: string): RegExp {
  let flags = '';
  let body = pattern;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m && m[1]) {
    body = body.slice(m[0].length);
    for (const f of m[1]) if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
  }
  // RE2's \z (end of text) has no JS escape; `$` without the m flag means the same.
  body = body.replace(/\\z/g, '$');
  return new RegExp(body, flags);
}

function keyList(value: unknown, field: string, configPath: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (typeof item !== 'string') throw new ConfigError(`invalid ${field}: expected a string in the list`, configPath);
        return item.trim();
      })
      .filter((s) => s !== '');
  }
  throw new ConfigError(`invalid ${field}: expected a string or a list of strings`, configPath);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turn one `creation_rules` entry into keys + crypt rule. */
export function resolveRuleEntry(entry: Record<string, unknown>, index: number, configPath: string): ResolvedRule {
  const where = `creation_rules[${index}]`;
  let age: string[] = [];
  let hcVaultTransit: string[] = [];
  let unsupportedKeys: string[];
  const groups = entry['key_groups'];
  if (Array.isArray(groups) && groups.length > 0) {
    // Shamir secret sharing across several groups cannot be expressed by a flat recipient list.
    if (groups.length > 1) throw new ConfigError(`${where}: more than one key group (Shamir) is not supported`, configPath);
    const group = groups[0];
    if (!isRecord(group)) throw new ConfigError(`${where}: key_groups[0] must be a mapping`, configPath);
    unsupportedKeys = unsupportedIn(group);
    if (group['merge'] !== undefined) throw new ConfigError(`${where}: key_groups merge is not supported`, configPath);
    age = keyList(group['age'], 'age', configPath);
    hcVaultTransit = keyList(group['hc_vault'], 'hc_vault', configPath);
  } else {
    unsupportedKeys = unsupportedIn(entry);
    age = keyList(entry['age'], 'age', configPath);
    hcVaultTransit = keyList(entry['hc_vault_transit_uri'], 'hc_vault_transit_uri', configPath);
  }

  let crypt: CryptRuleConfig | undefined;
  const set: string[] = [];
  for (const [yamlKey, field] of CRYPT_FIELDS) {
    const v = entry[yamlKey];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new ConfigError(`${where}: ${yamlKey} must be a string`, configPath);
    set.push(yamlKey);
    crypt = { ...crypt, [field]: v };
  }
  if (set.length > 1) {
    throw new ConfigError(`${where}: cannot use more than one of ${set.join(', ')} in the same rule`, configPath);
  }
  const mac = entry['mac_only_encrypted'];
  if (mac !== undefined && mac !== null && typeof mac !== 'boolean') {
    throw new ConfigError(`${where}: mac_only_encrypted must be true or false`, configPath);
  }
  return {
    configPath,
    index,
    age: dedupe(age),
    hcVaultTransit: dedupe(hcVaultTransit),
    unsupportedKeys,
    crypt,
    macOnlyEncrypted: mac === true,
  };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** The path `path_regex` is matched against: relative to the config dir when inside it. */
export function matchPath(configPath: string, filePath: string): string {
  const abs = resolve(filePath);
  const rel = relative(dirname(resolve(configPath)), abs);
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  return (inside ? rel : abs).split(sep).join('/');
}

/** Parse config text and pick the first rule matching `filePath`; undefined when none matches. */
export function matchCreationRule(configText: string, configPath: string, filePath: string): ResolvedRule | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(configText);
  } catch (err) {
    throw new ConfigError(sanitizeMessage(err), configPath);
  }
  if (doc === null || doc === undefined) return undefined;
  if (!isRecord(doc)) throw new ConfigError('expected a mapping at the top level', configPath);
  const rules = doc['creation_rules'];
  if (rules === undefined || rules === null) return undefined;
  if (!Array.isArray(rules)) throw new ConfigError('creation_rules must be a list', configPath);

  const target = matchPath(configPath, filePath);
  for (const [i, entry] of rules.entries()) {
    if (!isRecord(entry)) throw new ConfigError(`creation_rules[${i}] must be a mapping`, configPath);
    const pr = entry['path_regex'];
    if (pr !== undefined && pr !== null && pr !== '') {
      if (typeof pr !== 'string') throw new ConfigError(`creation_rules[${i}].path_regex must be a string`, configPath);
      let re: RegExp;
      try {
        re = compileGoRegex(pr);
      } catch {
        throw new ConfigError(`creation_rules[${i}].path_regex is not a valid regular expression: ${pr}`, configPath);
      }
      if (!re.test(target)) continue;
    }
    return resolveRuleEntry(entry, i, configPath);
  }
  return undefined;
}

export interface RuleLookup {
  /** The `.sops.yaml` that was read; undefined when none was given or found. */
  configPath: string | undefined;
  /** A `.sops.yml` the lookup passed over (see lookupConfigFile); never with an explicit config. */
  ignored?: string;
  /** Its first creation rule matching the file; undefined when none matches. */
  rule: ResolvedRule | undefined;
}

/**
 * Look up `.sops.yaml` for `filePath` and its matching creation rule, saying which config was
 * read. Errors name the config as `label` makes it (e.g. relative to the current directory).
 */
export async function lookupCreationRule(
  filePath: string,
  explicitConfig?: string,
  label: (abs: string) => string = (p) => p,
): Promise<RuleLookup> {
  const found = explicitConfig !== undefined ? { path: explicitConfig, ignored: undefined } : await lookupConfigFile(filePath);
  const configPath = found.path;
  const ignored = found.ignored !== undefined ? { ignored: found.ignored } : {};
  if (!configPath) return { configPath: undefined, rule: undefined, ...ignored };
  try {
    let text: string;
    try {
      text = await fsp.readFile(configPath, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config: ${sanitizeMessage(err)}`, configPath);
    }
    return { configPath, rule: matchCreationRule(text, configPath, filePath), ...ignored };
  } catch (err) {
    if (err instanceof ConfigError && err.file === configPath) throw new ConfigError(err.message, label(configPath));
    throw err;
  }
}

/** Look up `.sops.yaml` for `filePath` and return its matching creation rule, if any. */
export async function loadCreationRule(filePath: string, explicitConfig?: string): Promise<ResolvedRule | undefined> {
  return (await lookupCreationRule(filePath, explicitConfig)).rule;
}
