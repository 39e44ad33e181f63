// `gitops-seal keygen [-o file]`: a new age identity in age-keygen's file format.
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { InputError, sanitizeMessage } from '../errors.js';

interface KeygenOptions {
  output?: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('keygen')
    .description('generate an age identity (age-keygen format); the public key is printed on stderr')
    .option('-o, --output <file>', 'write the identity to this file (created 0600, never overwritten)')
    .action(async (opts: KeygenOptions) => {
      const keys = await ctx.keys();
      const { recipient, file } = await keys.generateAgeIdentity();
      if (opts.output === undefined) {
        ctx.stdout.write(file);
      } else {
        const target = ctx.resolvePath(opts.output);
        // 'wx': refuse to clobber an existing identity file, which would lose access to
        // everything encrypted to it.
        let fh;
        try {
          fh = await fsp.open(target, 'wx', 0o600);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new InputError('already exists; refusing to overwrite an identity file', opts.output);
          }
          throw new InputError(`cannot create: ${sanitizeMessage(err)}`, opts.output);
        }
        try {
          await fh.writeFile(file);
          await fh.chmod(0o600);
          await fh.sync();
          await fh.close();
        } catch (err) {
          await fh.close().catch(() => undefined);
          await fsp.unlink(target).catch(() => undefined);
          throw new InputError(`cannot write: ${sanitizeMessage(err)}`, opts.output);
        }
      }
      ctx.stderr.write(`Public key: ${recipient}\n`);
    });
}
