// `gitops-seal updatekeys FILE...`: apply the recipients of the matching .sops.yaml creation rule
// to already-encrypted files, keeping their data key (values are not re-encrypted).
import { Option, type Command } from 'commander';
import { runBatch } from '../batch.js';
import { addBackupRuleOption, enforceBackupRule, type BackupRuleFlags } from '../cluster-key/index.js';
import { displayPath, type CliContext } from '../context.js';
import { explicitConfig, noteSopsLookup, recipientOrigins } from '../encryption-settings.js';
import { ConfigError } from '../errors.js';
import { assertEncrypted } from '../input-checks.js';
import { readText, refuseStdin, writeFileAtomic } from '../io.js';
import { decryptionContext, type KeyContext } from '../keys-api.js';
import { parseReportFormat, type ReportFormat } from '../output.js';
import { assertValidRecipients } from '../recipient-check.js';
import { assertUsableKeys, lookupCreationRule } from '../sops-config.js';
import { currentRecipients, diffRecipients } from '../sops-metadata.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface UpdateKeysOptions extends IdentityFlags, BackupRuleFlags {
  output: ReportFormat;
  config?: string;
  yes?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('updatekeys')
    .description('re-wrap the data key of encrypted files for the recipients in .sops.yaml (same data key)')
    .argument('<files...>', 'encrypted files')
    .addOption(new Option('-o, --output <format>', 'result format: text, json or yaml').argParser(parseReportFormat).default('text'))
    .option('--config <file>', 'use this .sops.yaml instead of looking it up from each file upward')
    .option('-y, --yes', 'remove recipients without asking (on a terminal, removing one is confirmed first)');
  addIdentityOption(cmd);
  addBackupRuleOption(cmd);
  cmd.action(async (files: string[], opts: UpdateKeysOptions) => {
    const keys = await ctx.keys();
    let kctx: KeyContext | undefined;
    ctx.exitCode = await runBatch(ctx, 'updatekeys', files, opts.output, async (file) => {
      const abs = ctx.resolvePath(file);
      refuseStdin(file, 'updatekeys');
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(abs);
      assertEncrypted(keys.isSopsEncrypted(text, format), text, format, file);
      const explicit = explicitConfig(opts.config, ctx.env, ctx.resolvePath);
      const found = await lookupCreationRule(abs, explicit, (p) => displayPath(ctx.cwd, p));
      if (explicit === undefined) await noteSopsLookup(ctx, found);
      const configPath = found.configPath !== undefined ? displayPath(ctx.cwd, found.configPath) : undefined;
      if (!found.rule) {
        throw new ConfigError(
          configPath
            ? `no creation rule in ${configPath} matches this file`
            : "no .sops.yaml found from the file's directory upward (or give --config)",
          file,
        );
      }
      const rule = { ...found.rule, configPath: configPath ?? found.rule.configPath };
      assertUsableKeys(rule, file);
      const desired = { age: rule.age, hcVaultTransit: rule.hcVaultTransit };
      if (desired.age.length + desired.hcVaultTransit.length === 0) {
        throw new ConfigError(`creation_rules[${rule.index}] in ${rule.configPath} gives no recipients`, file);
      }
      assertValidRecipients(desired, recipientOrigins(false, rule), file);
      const current = currentRecipients(text, format);
      const diff = current ? diffRecipients(current, desired) : { added: [], removed: [] };
      if (current && diff.added.length === 0 && diff.removed.length === 0) return 'unchanged';
      await enforceBackupRule(ctx, keys, { target: abs, label: file, configFlag: opts.config }, desired, 'rule', opts.allowClusterKeyOnly);
      for (const r of diff.added) ctx.stderr.write(`  + ${r}\n`);
      for (const r of diff.removed) ctx.stderr.write(`  - ${r}\n`);
      if (diff.removed.length > 0) {
        const n = diff.removed.length === 1 ? '1 recipient' : `${diff.removed.length} recipients`;
        // As sops, which asks before any key change: here only removals are asked about, since
        // they lock someone out; --yes (or no terminal) proceeds, always with this warning.
        ctx.stderr.write(
          `gitops-seal: ${file}: WARNING: removing ${n} (- above): whoever holds only that key can no longer decrypt this file; ` +
            'the data key stays the same, so run `gitops-seal rotate` too if the key may be compromised\n',
        );
        if (!opts.yes && ctx.confirm && !(await ctx.confirm(`Remove ${n} from ${file}? [y/N] `, false))) {
          return { status: 'skipped', added: diff.added, removed: diff.removed };
        }
      }
      kctx ??= await decryptionContext(keys, ctx.env, await identityFile(ctx, opts));
      const updated = await keys.reencryptText(text, { format, source: file, keys: desired }, kctx);
      await writeFileAtomic(ctx, file, updated);
      return { status: 'updated', added: diff.added, removed: diff.removed };
    });
  });
}
