// File helpers shared by commands: errors name the path as the user typed it.
import { promises as fsp } from 'node:fs';
import { atomicWrite, type AtomicWriteOptions } from './atomic-write.js';
import type { CliContext } from './context.js';
import { InputError, sanitizeMessage, UsageError } from './errors.js';
import { decodeUtf8 } from './utf8.js';

/** Whether a file argument means standard input. */
export const isStdin = (userPath: string): boolean => userPath === '-';

/** The text of a file the user named, or of standard input for `-` (as sops and kubectl read it). */
export async function readText(ctx: CliContext, userPath: string): Promise<string> {
  if (isStdin(userPath)) return ctx.readStdin();
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(ctx.resolvePath(userPath));
  } catch (err) {
    throw new InputError(`cannot read: ${sanitizeMessage(err)}`, userPath);
  }
  return decodeUtf8(bytes, userPath);
}

/** Commands that write a file back cannot take standard input: there is nothing to write to. */
export function refuseStdin(userPath: string, command: string): void {
  if (isStdin(userPath)) throw new UsageError(`${command} writes the file back, so it cannot read standard input ('-')`);
}

export async function writeFileAtomic(ctx: CliContext, userPath: string, content: string, opts?: AtomicWriteOptions): Promise<void> {
  // Without -o the document goes to stdout; '-' is not a file name to create.
  if (isStdin(userPath)) throw new UsageError("'-' is not a file to write; leave out -o to write to standard output");
  try {
    await atomicWrite(ctx.resolvePath(userPath), content, opts);
  } catch (err) {
    throw new InputError(`cannot write: ${sanitizeMessage(err)}`, userPath);
  }
}
