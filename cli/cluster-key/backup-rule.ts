// The backup rule (issue 16 item 3): a file that only cluster-held keys can decrypt is lost with
// the cluster's key, so writing one is refused (exit 9) unless another recipient — an offline
// age key, a Vault transit key — can open it too, or the user passes --allow-cluster-key-only
// (which says loudly what it risks). Which recipients are cluster-held is known from the pins of
// the `.sops.yaml` that governs the file (pins.ts); without pins nothing is cluster-held.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../context.js';
import { CliError, ConfigError, ExitCode, sanitizeMessage } from '../errors.js';
import { isRecord, parseDocuments, type DocFormat } from '../k8s-secret.js';
import { explicitConfig } from '../encryption-settings.js';
import { lookupConfigFile, matchCreationRule } from '../sops-config.js';
import { clusterHeldRecipients, parsePins, type ClusterKeyPin, type Fingerprinter } from './pins.js';

export const ALLOW_FLAG = '--allow-cluster-key-only';
/** The check finding's code (`gitops-seal check -o json`). */
export const CLUSTER_KEY_ONLY_CODE = 'cluster-key-only';

export interface BackupRuleFlags {
  allowClusterKeyOnly?: boolean;
}

export function addBackupRuleOption(cmd: Command): Command {
  return cmd.option(
    `${ALLOW_FLAG}`,
    'write the file even if only cluster-held keys (pinned in .sops.yaml) can decrypt it: it is lost if the cluster loses its key',
  );
}

/** The recipients a file is (to be) encrypted to. `other` counts pgp/kms/... master keys. */
export interface FileRecipients {
  age: readonly string[];
  hcVaultTransit: readonly string[];
  other?: number;
}

export interface RuleContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  resolvePath: (p: string) => string;
  stderr: { write(s: string): unknown };
}

export interface GoverningPins {
  /** Absolute path of the `.sops.yaml` read, if any. */
  configPath: string | undefined;
  /** Its text ('' when none). */
  text: string;
  pins: ClusterKeyPin[];
}

/** The pins of the `.sops.yaml` governing `target` (`--config`, $SOPS_CONFIG, else the nearest upward). */
export function governingPins(ctx: RuleContext, keys: Fingerprinter, target: string, configFlag?: string): Promise<GoverningPins> {
  // Once per directory and run: `check` and the batch commands ask for every file.
  const cache = pinCache.get(ctx) ?? new Map<string, Promise<GoverningPins>>();
  pinCache.set(ctx, cache);
  const key = `${configFlag ?? ''}\0${dirname(target)}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = readGoverningPins(ctx, keys, target, configFlag);
    cache.set(key, found);
  }
  return found;
}

const pinCache = new WeakMap<object, Map<string, Promise<GoverningPins>>>();

async function readGoverningPins(ctx: RuleContext, keys: Fingerprinter, target: string, configFlag?: string): Promise<GoverningPins> {
  const configPath = explicitConfig(configFlag, ctx.env, ctx.resolvePath) ?? (await lookupConfigFile(target)).path;
  if (configPath === undefined) return { configPath, text: '', pins: [] };
  let text: string;
  try {
    text = await fsp.readFile(configPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config: ${sanitizeMessage(err)}`, displayPath(ctx.cwd, configPath));
  }
  return { configPath, text, pins: parsePins(text, displayPath(ctx.cwd, configPath), keys) };
}

/** The pins every recipient belongs to when all of them are cluster-held; undefined otherwise. */
export function clusterOnly(recipients: FileRecipients, pins: readonly ClusterKeyPin[]): ClusterKeyPin[] | undefined {
  if (recipients.age.length === 0 || recipients.hcVaultTransit.length > 0 || (recipients.other ?? 0) > 0) return undefined;
  const held = clusterHeldRecipients(pins);
  const owners = recipients.age.map((r) => held.get(r.trim()));
  if (owners.some((o) => o === undefined)) return undefined;
  return [...new Set(owners as ClusterKeyPin[])];
}

const named = (pins: readonly ClusterKeyPin[]): string => pins.map((p) => `"${p.name}"`).join(', ');

/** Where a file's recipients came from: flags, the matching creation rule, or the file itself. */
export type RecipientOrigin = 'flags' | 'rule' | 'file';

function describeOrigin(origin: RecipientOrigin, found: GoverningPins, target: string, config: string): string {
  if (origin === 'flags') return '--age/--hc-vault-transit';
  if (origin === 'file') return "the file's sops metadata";
  const rule = found.configPath !== undefined ? matchCreationRule(found.text, found.configPath, target) : undefined;
  return rule ? `creation_rules[${rule.index}] in ${config}` : `the creation rule in ${config}`;
}

/**
 * Refuse (exit 9) to write `label` when only cluster-held keys could decrypt it, or warn on
 * stderr when `allow`. One call from each command that writes an encrypted file.
 */
export async function enforceBackupRule(
  ctx: RuleContext,
  keys: Fingerprinter,
  file: { target: string; label: string; configFlag?: string | undefined },
  recipients: FileRecipients,
  origin: RecipientOrigin,
  allow: boolean | undefined,
): Promise<void> {
  const found = await governingPins(ctx, keys, file.target, file.configFlag);
  const only = clusterOnly(recipients, found.pins);
  if (only === undefined || found.configPath === undefined) return;
  const config = displayPath(ctx.cwd, found.configPath);
  if (allow) {
    ctx.stderr.write(
      `gitops-seal: WARNING: ${file.label}: only cluster-held keys (${named(only)} pinned in ${config}) can decrypt this file (${ALLOW_FLAG}): ` +
        'if that cluster loses its key, the file is lost; keep a backup of the key (gitops-seal cluster-key backup)\n',
    );
    return;
  }
  throw new CliError(
    `refusing to write a file only cluster-held keys can decrypt: every recipient of ${describeOrigin(origin, found, file.target, config)} ` +
      `is the cluster key ${named(only)} pinned in ${config}, and if that cluster loses its key nobody can decrypt the file. ` +
      `Add a backup recipient to the rule (an offline age key or a Vault transit key), or pass ${ALLOW_FLAG}`,
    ExitCode.CLUSTER_KEY_ONLY,
    file.label,
  );
}

const OTHER_KEY_FIELDS = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hckms'];

/** The master keys recorded in an encrypted file's sops block (the first document that has one). */
export function fileRecipients(text: string, format: DocFormat): FileRecipients | undefined {
  const { docs } = parseDocuments(text, format);
  for (const doc of docs) {
    if (!isRecord(doc) || !isRecord(doc['sops'])) continue;
    const sops = doc['sops'];
    const groups = Array.isArray(sops['key_groups']) ? sops['key_groups'].filter(isRecord) : [];
    const age: string[] = [];
    let vault = 0;
    let other = 0;
    for (const g of [sops, ...groups]) {
      const list = (f: string): unknown[] => (Array.isArray(g[f]) ? (g[f] as unknown[]) : []);
      for (const e of list('age')) if (isRecord(e) && typeof e['recipient'] === 'string') age.push(e['recipient']);
      vault += list('hc_vault').length;
      for (const f of OTHER_KEY_FIELDS) other += list(f).length;
    }
    // The transit URIs themselves do not matter here, only that there is one.
    return { age, hcVaultTransit: Array.from({ length: vault }, () => 'hc_vault'), other };
  }
  return undefined;
}

/** `check`'s finding for an encrypted file only cluster-held keys can decrypt, or undefined. */
export async function clusterOnlyFinding(
  ctx: RuleContext,
  keys: Fingerprinter,
  path: string,
  text: string,
  format: DocFormat,
): Promise<{ reason: string; code: string } | undefined> {
  const recipients = fileRecipients(text, format);
  if (recipients === undefined) return undefined;
  const target = path === '-' ? ctx.resolvePath('_') : ctx.resolvePath(path);
  const { configPath, pins } = await governingPins(ctx, keys, target);
  const only = clusterOnly(recipients, pins);
  if (only === undefined || configPath === undefined) return undefined;
  return {
    code: CLUSTER_KEY_ONLY_CODE,
    reason:
      `only cluster-held keys can decrypt this file (${named(only)} pinned in ${displayPath(ctx.cwd, configPath)}): it is lost if that cluster loses its key; ` +
      'add a backup recipient to its creation rule and run gitops-seal updatekeys',
  };
}

/** `flags` when --age/--hc-vault-transit replace the rule's keys, else `rule`. */
export function keyOrigin(flags: { age?: string[] | undefined; hcVaultTransit?: string[] | undefined }): RecipientOrigin {
  return (flags.age?.length ?? 0) + (flags.hcVaultTransit?.length ?? 0) > 0 ? 'flags' : 'rule';
}

/**
 * Every cluster-held recipient (pinned, current or retired) for a file at `target`: what the
 * scope claim (cli/scope-claim.ts) needs to know whether a file is sealed to a cluster key.
 */
export async function clusterHeldFor(
  ctx: RuleContext,
  keys: Fingerprinter,
  target: string,
  configFlag?: string,
): Promise<ReadonlySet<string>> {
  return new Set(clusterHeldRecipients((await governingPins(ctx, keys, target, configFlag)).pins).keys());
}
