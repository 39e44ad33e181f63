// `--age-key-file`, shared by every command that decrypts.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { AgeKeyArg } from '../keys-api.js';

export interface IdentityFlags {
  ageKeyFile?: string;
}

export function addIdentityOption(cmd: Command): Command {
  return cmd.option(
    '--age-key-file <file>',
    "age identities file ('-': standard input; also tried: $SOPS_AGE_KEY, $SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt)",
  );
}

/** What `--age-key-file` names: a file, or for `-` the identities read from standard input. */
export async function identityFile(ctx: CliContext, opts: IdentityFlags): Promise<AgeKeyArg> {
  if (opts.ageKeyFile === undefined) return undefined;
  if (opts.ageKeyFile === '-') return { text: await ctx.readStdin(), label: '(stdin)' };
  return { file: ctx.resolvePath(opts.ageKeyFile) };
}
