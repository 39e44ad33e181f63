// `gitops-seal edit FILE`: decrypt to a RAM-backed temp file, run the editor, re-encrypt.
// Unchanged values keep their ciphertext (reencryptText), so diffs show only what was edited.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { runEditor, editorCommand } from '../editor.js';
import { ExitCode, formatError, InputError, toCliError, withFile } from '../errors.js';
import { assertEncrypted } from '../input-checks.js';
import { saveEdit } from '../edit-save.js';
import { readText, refuseStdin } from '../io.js';
import { decodeUtf8 } from '../utf8.js';
import { decryptionContext } from '../keys-api.js';
import { ramTempRoot, withPlaintextTemp } from '../plaintext-temp.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('edit')
    .description('edit an encrypted file in $EDITOR; values you do not touch keep their ciphertext')
    .argument('<file>', 'encrypted YAML or JSON file');
  addIdentityOption(cmd);
  cmd.action(async (file: string, opts: IdentityFlags) =>
    withFile(file, async () => {
      refuseStdin(file, 'edit');
      const keys = await ctx.keys();
      const abs = ctx.resolvePath(file);
      const encrypted = await readText(ctx, file);
      const format = keys.formatFromPath(abs);
      assertEncrypted(keys.isSopsEncrypted(encrypted, format), encrypted, format, file, '; use encrypt first');
      const kctx = await decryptionContext(keys, ctx.env, await identityFile(ctx, opts));
      const plaintext = await keys.decryptText(encrypted, { format, source: file }, kctx);

      // The temp file lives across editor rounds: if the edited text does not parse, the user
      // can go back and fix it instead of losing the edit.
      const updated = await withPlaintextTemp(ramTempRoot(ctx.env), abs, plaintext, async (tmp, track) => {
        for (;;) {
          await runEditor(editorCommand(ctx.env), tmp, ctx.env, file, track);
          const bytes = await readFile(tmp);
          try {
            // An editor that saved in another encoding is treated like invalid YAML: fix or discard.
            const edited = decodeUtf8(bytes, file);
            if (edited === plaintext) return undefined;
            return await keys.reencryptText(encrypted, { format, source: file, newPlaintext: edited }, kctx);
          } catch (err) {
            const cli = toCliError(err, file);
            if (cli.exitCode !== ExitCode.IO) throw cli;
            // Without a terminal to ask on, nobody can fix the text: say plainly that it is lost.
            if (!ctx.confirm) throw new InputError(`${cli.message}; edit discarded`, file);
            ctx.stderr.write(`${formatError(cli)}\n`);
            if (!(await ctx.confirm('Re-open the editor to fix it? [Y/n] '))) throw new InputError('edit discarded', file);
          }
        }
      });
      if (updated === undefined) {
        ctx.stderr.write(`gitops-seal: ${file}: no changes\n`);
        return;
      }
      await saveEdit(ctx, file, updated);
    }),
  );
}
