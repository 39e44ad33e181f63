// `gitops-seal updatekeys FILE...`: apply the recipients of the matching .sops.yaml creation rule
// to already-encrypted files, keeping their data key (values are not re-encrypted).
import { Option, type Command } from 'commander';
import { runBatch } from '../batch.js';
import type { CliContext } from '../context.js';
import { ConfigError } from '../errors.js';
import { assertEncrypted } from '../input-checks.js';
import { readText, writeFileAtomic } from '../io.js';
import { decryptionContext, type KeyContext } from '../keys-api.js';
import { parseOutputFormat, type OutputFormat } from '../output.js';
import { assertUsableKeys, loadCreationRule } from '../sops-config.js';
import { currentRecipients, diffRecipients } from '../sops-metadata.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface UpdateKeysOptions extends IdentityFlags {
  output: OutputFormat;
  config?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('updatekeys')
    .description('re-wrap the data key of encrypted files for the recipients in .sops.yaml (same data key)')
    .argument('<files...>', 'encrypted files')
    .addOption(new Option('-o, --output <format>', 'result format').argParser(parseOutputFormat).default('text'))
    .option('--config <file>', 'use this .sops.yaml instead of looking it up from each file upward');
  addIdentityOption(cmd);
  cmd.action(async (files: string[], opts: UpdateKeysOptions) => {
    const keys = await ctx.keys();
    let kctx: KeyContext | undefined;
    ctx.exitCode = await runBatch(ctx, 'updatekeys', files, opts.output, async (file) => {
      const abs = ctx.resolvePath(file);
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(abs);
      assertEncrypted(keys.isSopsEncrypted(text, format), text, format, file);
      const rule = await loadCreationRule(abs, opts.config !== undefined ? ctx.resolvePath(opts.config) : undefined);
      if (!rule) throw new ConfigError('no .sops.yaml creation rule matches this file', file);
      assertUsableKeys(rule, file);
      const desired = { age: rule.age, hcVaultTransit: rule.hcVaultTransit };
      if (desired.age.length + desired.hcVaultTransit.length === 0) {
        throw new ConfigError(`creation_rules[${rule.index}] in ${rule.configPath} gives no recipients`, file);
      }
      const current = currentRecipients(text, format);
      const diff = current ? diffRecipients(current, desired) : undefined;
      if (diff && diff.added.length === 0 && diff.removed.length === 0) return 'unchanged';
      for (const r of diff?.added ?? []) ctx.stderr.write(`  + ${r}\n`);
      for (const r of diff?.removed ?? []) ctx.stderr.write(`  - ${r}\n`);
      kctx ??= await decryptionContext(keys, ctx.env, identityFile(ctx, opts));
      const updated = await keys.reencryptText(text, { format, source: file, keys: desired }, kctx);
      await writeFileAtomic(ctx, file, updated);
      return 'updated';
    });
  });
}
