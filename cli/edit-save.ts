// Writing back the result of `edit` so that the user's edit is never lost. By then it exists
// only in memory (the plaintext temp file is gone), already re-encrypted, so every fallback below
// writes ciphertext only: no plaintext is ever left on disk to keep an edit.
//
//   1. atomic replace (temp file next to the target, rename) — the normal case;
//   2. the directory refuses the temp file (not writable, immutable) but the file is writable:
//      overwrite the file in place, said on stderr (not atomic, but nothing is lost);
//   3. the file cannot be written at all: save the encrypted result in a new 0700 directory under
//      the OS temp dir and say where (exit 6), or, if even that fails, print it on stdout.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { atomicWrite, overwriteInPlace, writeTargetOf } from './atomic-write.js';
import type { CliContext } from './context.js';
import { InputError, sanitizeMessage } from './errors.js';

export const SAVED_EDIT_PREFIX = 'gitops-seal-saved-edit-';

export async function saveEdit(ctx: CliContext, file: string, encrypted: string): Promise<void> {
  const abs = ctx.resolvePath(file);
  let atomicCause: string;
  try {
    await atomicWrite(abs, encrypted);
    return;
  } catch (err) {
    atomicCause = sanitizeMessage(err);
  }
  let cause: string;
  try {
    await overwriteInPlace(await writeTargetOf(abs), encrypted);
    ctx.stderr.write(`gitops-seal: ${file}: could not replace the file atomically (${atomicCause}); wrote it in place instead\n`);
    return;
  } catch (err) {
    cause = sanitizeMessage(err);
  }
  const saved = await saveCopy(abs, encrypted);
  if (saved !== undefined) {
    throw new InputError(
      `cannot write (${cause}); your edit is kept, encrypted, in ${saved}: copy it over ${file} once it is writable`,
      file,
    );
  }
  ctx.stdout.write(encrypted);
  throw new InputError(`cannot write (${cause}) nor save a copy; your edit, encrypted, was printed on stdout`, file);
}

/** A 0600 copy in a new 0700 directory under the OS temp dir; undefined if that fails too. */
async function saveCopy(abs: string, encrypted: string): Promise<string | undefined> {
  try {
    const saved = join(await mkdtemp(join(tmpdir(), SAVED_EDIT_PREFIX)), basename(abs));
    await writeFile(saved, encrypted, { mode: 0o600, flag: 'wx' });
    return saved;
  } catch {
    return undefined;
  }
}
