// `gitops-seal decrypt FILE`: plaintext to stdout, or to a 0600 file.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFile } from '../errors.js';
import { assertEncrypted } from '../input-checks.js';
import { isStdin, readText, writeFileAtomic } from '../io.js';
import { decryptionContext } from '../keys-api.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface DecryptOptions extends IdentityFlags {
  output?: string;
  filenameOverride?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('decrypt')
    .description('decrypt a sops-encrypted file (MAC verified) to stdout')
    .argument('<file>', "encrypted YAML or JSON file ('-': standard input, read as YAML unless --filename-override says .json)")
    .option('-o, --output <file>', 'write the plaintext to this file (mode 0600) instead of stdout')
    .option('--filename-override <path>', 'use this path, not FILE, to decide the format (as sops)');
  addIdentityOption(cmd);
  cmd.action(async (file: string, opts: DecryptOptions) => {
    const label = isStdin(file) ? '(stdin)' : file;
    return withFile(label, async () => {
      const keys = await ctx.keys();
      const text = await readText(ctx, file);
      const format = keys.formatFromPath(ctx.resolvePath(opts.filenameOverride ?? file));
      assertEncrypted(keys.isSopsEncrypted(text, format), text, format, label);
      const kctx = await decryptionContext(keys, ctx.env, await identityFile(ctx, opts));
      const plaintext = await keys.decryptText(text, { format, source: label }, kctx);
      // Plaintext on disk is owner-only, even when replacing a more permissive file.
      if (opts.output !== undefined) await writeFileAtomic(ctx, opts.output, plaintext, { mode: 0o600, forceMode: true });
      else ctx.stdout.write(plaintext);
    });
  });
}
