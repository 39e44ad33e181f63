// `gitops-seal encrypt FILE`: encrypt a plaintext YAML/JSON file with sops' format.
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addCryptOptions, addKeyOptions, resolveSettings, type CryptFlags, type KeyFlags } from '../encryption-settings.js';
import { InputError, withFile } from '../errors.js';
import { readText, writeFileAtomic } from '../io.js';
import { containsSecret, parseDocuments } from '../k8s-secret.js';
import { encryptionContext } from '../keys-api.js';

interface EncryptOptions extends KeyFlags, CryptFlags {
  inPlace?: boolean;
  output?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('encrypt')
    .description('encrypt a YAML/JSON file; keys and crypt rule come from flags, else the matching .sops.yaml creation rule')
    .argument('<file>', 'plaintext YAML or JSON file')
    .option('-i, --in-place', 'replace the file with its encrypted version (atomically, mode kept)')
    .addOption(new Option('-o, --output <file>', 'write the encrypted file here instead of stdout').conflicts('inPlace'));
  addKeyOptions(cmd);
  addCryptOptions(cmd);
  cmd.action(async (file: string, opts: EncryptOptions) =>
    withFile(file, async () => {
      const keys = await ctx.keys();
      const abs = ctx.resolvePath(file);
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(abs);
      if (keys.isSopsEncrypted(text, format)) {
        throw new InputError('already encrypted (it has sops metadata); use edit, updatekeys or rotate instead', file);
      }
      const parsed = parseDocuments(text, format);
      if (parsed.error !== undefined) throw new InputError(parsed.error, file);
      const settings = await resolveSettings(abs, opts, containsSecret(parsed.docs), ctx.resolvePath);
      const encrypted = await keys.encryptText(
        text,
        { format, source: file, keys: settings.keys, rule: settings.rule, macOnlyEncrypted: settings.macOnlyEncrypted },
        encryptionContext(ctx.env),
      );
      if (opts.inPlace) await writeFileAtomic(ctx, file, encrypted);
      else if (opts.output !== undefined) await writeFileAtomic(ctx, opts.output, encrypted);
      else ctx.stdout.write(encrypted);
    }),
  );
}
