// `gitops-seal decrypt FILE`: plaintext to stdout, or to a 0600 file.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { InputError, withFile } from '../errors.js';
import { readText, writeFileAtomic } from '../io.js';
import { decryptionContext } from '../keys-api.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface DecryptOptions extends IdentityFlags {
  output?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('decrypt')
    .description('decrypt a sops-encrypted file (MAC verified) to stdout')
    .argument('<file>', 'encrypted YAML or JSON file')
    .option('-o, --output <file>', 'write the plaintext to this file (mode 0600) instead of stdout');
  addIdentityOption(cmd);
  cmd.action(async (file: string, opts: DecryptOptions) =>
    withFile(file, async () => {
      const keys = await ctx.keys();
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(ctx.resolvePath(file));
      if (!keys.isSopsEncrypted(text, format)) throw new InputError('not encrypted (no sops metadata)', file);
      const kctx = await decryptionContext(keys, ctx.env, identityFile(ctx, opts));
      const plaintext = await keys.decryptText(text, { format, source: file }, kctx);
      // Plaintext on disk is owner-only, even when replacing a more permissive file.
      if (opts.output !== undefined) await writeFileAtomic(ctx, opts.output, plaintext, { mode: 0o600, forceMode: true });
      else ctx.stdout.write(plaintext);
    }),
  );
}
