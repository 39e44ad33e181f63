// File helpers shared by commands: errors name the path as the user typed it.
import { promises as fsp } from 'node:fs';
import { atomicWrite, type AtomicWriteOptions } from './atomic-write.js';
import type { CliContext } from './context.js';
import { InputError, sanitizeMessage } from './errors.js';

export async function readText(ctx: CliContext, userPath: string): Promise<string> {
  try {
    return await fsp.readFile(ctx.resolvePath(userPath), 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${sanitizeMessage(err)}`, userPath);
  }
}

export async function writeFileAtomic(ctx: CliContext, userPath: string, content: string, opts?: AtomicWriteOptions): Promise<void> {
  try {
    await atomicWrite(ctx.resolvePath(userPath), content, opts);
  } catch (err) {
    throw new InputError(`cannot write: ${sanitizeMessage(err)}`, userPath);
  }
}
