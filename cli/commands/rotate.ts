// `gitops-seal rotate FILE...`: new data key per file, all values re-encrypted, same recipients.
import { Option, type Command } from 'commander';
import { runBatch } from '../batch.js';
import { addBackupRuleOption, enforceBackupRule, fileRecipients, type BackupRuleFlags } from '../cluster-key/index.js';
import type { CliContext } from '../context.js';
import { assertEncrypted } from '../input-checks.js';
import { readText, refuseStdin, writeFileAtomic } from '../io.js';
import { decryptionContext, type KeyContext } from '../keys-api.js';
import { parseReportFormat, type ReportFormat } from '../output.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface RotateOptions extends IdentityFlags, BackupRuleFlags {
  output: ReportFormat;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('rotate')
    .description('generate a new data key for encrypted files and re-encrypt every value (recipients unchanged)')
    .argument('<files...>', 'encrypted files')
    .addOption(new Option('-o, --output <format>', 'result format: text, json or yaml').argParser(parseReportFormat).default('text'));
  addIdentityOption(cmd);
  addBackupRuleOption(cmd);
  cmd.action(async (files: string[], opts: RotateOptions) => {
    const keys = await ctx.keys();
    let kctx: KeyContext | undefined;
    ctx.exitCode = await runBatch(ctx, 'rotate', files, opts.output, async (file) => {
      refuseStdin(file, 'rotate');
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(ctx.resolvePath(file));
      assertEncrypted(keys.isSopsEncrypted(text, format), text, format, file);
      const recipients = fileRecipients(text, format) ?? { age: [], hcVaultTransit: [] };
      await enforceBackupRule(ctx, keys, { target: ctx.resolvePath(file), label: file }, recipients, 'file', opts.allowClusterKeyOnly);
      kctx ??= await decryptionContext(keys, ctx.env, await identityFile(ctx, opts));
      const rotated = await keys.reencryptText(text, { format, source: file, rotate: true }, kctx);
      await writeFileAtomic(ctx, file, rotated);
      return 'updated';
    });
  });
}
