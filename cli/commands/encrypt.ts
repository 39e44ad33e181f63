// `gitops-seal encrypt FILE`: encrypt a plaintext YAML/JSON file with sops' format.
import { Option, type Command } from 'commander';
import { addBackupRuleOption, enforceBackupRule, keyOrigin, type BackupRuleFlags } from '../cluster-key/index.js';
import type { CliContext } from '../context.js';
import { addCryptOptions, addKeyOptions, resolveSettings, type CryptFlags, type KeyFlags } from '../encryption-settings.js';
import { InputError, UsageError, withFile } from '../errors.js';
import { assertEncryptable } from '../input-checks.js';
import { isStdin, readText, writeFileAtomic } from '../io.js';
import { containsSecret } from '../k8s-secret.js';
import { encryptionContext } from '../keys-api.js';
import { addScopeOption, scopeClaimed } from '../scope-claim.js';

interface EncryptOptions extends KeyFlags, CryptFlags, BackupRuleFlags {
  inPlace?: boolean;
  output?: string;
  filenameOverride?: string;
  scope?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('encrypt')
    .description('encrypt a YAML/JSON file; keys and crypt rule come from flags, else the matching .sops.yaml creation rule')
    .argument('<file>', "plaintext YAML or JSON file ('-': standard input, needs --filename-override)")
    .option('-i, --in-place', 'replace the file with its encrypted version (atomically, mode kept, through symlinks)')
    .addOption(new Option('-o, --output <file>', 'write the encrypted file here instead of stdout').conflicts('inPlace'))
    .option('--filename-override <path>', 'use this path, not FILE, for the format and the .sops.yaml rule (as sops)');
  addBackupRuleOption(cmd);
  addKeyOptions(cmd);
  addCryptOptions(cmd);
  addScopeOption(cmd);
  cmd.action(async (file: string, opts: EncryptOptions) => {
    if (isStdin(file)) {
      // As sops: without a name there is no format and no creation rule to match.
      if (opts.inPlace) throw new UsageError("cannot use --in-place when reading standard input ('-')");
      if (opts.filenameOverride === undefined)
        throw new UsageError("reading standard input ('-') needs --filename-override PATH (format and .sops.yaml rule)");
    }
    const label = isStdin(file) ? '(stdin)' : file;
    await withFile(label, async () => {
      const keys = await ctx.keys();
      const abs = ctx.resolvePath(opts.filenameOverride ?? file);
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(abs);
      if (keys.isSopsEncrypted(text, format)) {
        throw new InputError('already encrypted (it has sops metadata); use edit, updatekeys or rotate instead', label);
      }
      const docs = assertEncryptable(text, format, label);
      const settings = await resolveSettings(abs, label, opts, containsSecret(docs), ctx);
      const claimed = await scopeClaimed({
        plaintext: text,
        format,
        docs,
        settings,
        scope: opts.scope,
        label,
        pins: { ctx, keys, target: abs, configFlag: opts.config },
      });
      const encrypted = await keys.encryptText(
        claimed.plaintext,
        { format, source: label, keys: settings.keys, rule: claimed.rule, macOnlyEncrypted: settings.macOnlyEncrypted },
        encryptionContext(ctx.env),
      );
      // The backup rule (cli/cluster-key): refuse before anything is written.
      await enforceBackupRule(
        ctx,
        keys,
        { target: abs, label, configFlag: opts.config },
        settings.keys,
        keyOrigin(opts),
        opts.allowClusterKeyOnly,
      );
      if (opts.inPlace) await writeFileAtomic(ctx, file, encrypted);
      else if (opts.output !== undefined) await writeFileAtomic(ctx, opts.output, encrypted);
      else ctx.stdout.write(encrypted);
    });
  });
}
