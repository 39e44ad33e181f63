// `--age-key-file`, shared by every command that decrypts.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export interface IdentityFlags {
  ageKeyFile?: string;
}

export function addIdentityOption(cmd: Command): Command {
  return cmd.option(
    '--age-key-file <file>',
    'age identities file (default: $SOPS_AGE_KEY, $SOPS_AGE_KEY_FILE, then ~/.config/sops/age/keys.txt)',
  );
}

export function identityFile(ctx: CliContext, opts: IdentityFlags): string | undefined {
  return opts.ageKeyFile !== undefined ? ctx.resolvePath(opts.ageKeyFile) : undefined;
}
