// Replace a file so that readers (and a crash) see either the old or the new content, never a
// torn mix: write a temp file in the same directory (same filesystem, so rename is atomic),
// fsync it, rename it over the target, then fsync the directory so the rename itself is durable.
// A symlink is written through: the file it points to is replaced (in *its* directory) and the
// link stays, as sops and editors do; renaming over the link would turn it into a regular file
// and leave the target (e.g. still in plaintext after `encrypt -i link.yaml`).
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const MAX_LINKS = 40;

/**
 * The file `path` designates after following symlinks, also a dangling one (the file the link
 * will point to once written). A path that is not a symlink is returned as is.
 */
export async function writeTargetOf(path: string): Promise<string> {
  let current = path;
  for (let i = 0; i < MAX_LINKS; i++) {
    let st;
    try {
      st = await fsp.lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw err;
    }
    if (!st.isSymbolicLink()) return current;
    current = resolve(dirname(current), await fsp.readlink(current));
  }
  throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
}

export interface AtomicWriteOptions {
  /**
   * Mode for the file. When the target exists its mode is kept unless `forceMode` is set;
   * otherwise this mode is used (default 0o644).
   */
  mode?: number;
  /** Always use `mode`, even if the target exists (decrypted output must stay 0600). */
  forceMode?: boolean;
  /** Fail with EEXIST instead of replacing an existing target. */
  exclusive?: boolean;
}

/** Name of the temp file used for `target`; exported for tests that look for leftovers. */
export function tempNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.gitops-seal-${randomBytes(6).toString('hex')}.tmp`);
}

export async function atomicWrite(path: string, content: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  // Exclusive creation never follows a link: a link planted at a new file's name is refused.
  const target = opts.exclusive ? path : await writeTargetOf(path);
  let mode = opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await fsp.stat(target);
    if (opts.exclusive) {
      throw Object.assign(new Error(`${target} already exists`), { code: 'EEXIST' });
    }
    if (!opts.forceMode) mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }

  const tmp = tempNameFor(target);
  // 'wx' so we never follow a symlink someone planted at the temp name; the mode is applied at
  // creation so the content is never readable by others, even for an instant.
  const fh = await fsp.open(tmp, 'wx', mode);
  let renamed = false;
  try {
    await fh.writeFile(content);
    // open() honours the umask; chmod makes the final mode exact (e.g. preserves 0640).
    await fh.chmod(mode);
    if (owner && process.getuid?.() === 0) await fh.chown(owner.uid, owner.gid).catch(() => undefined);
    await fh.sync();
    await fh.close();
    if (opts.exclusive) {
      // link() fails if the target appeared meanwhile, unlike rename(), which would clobber it.
      await fsp.link(tmp, target);
      renamed = true;
      await fsp.unlink(tmp);
    } else {
      await fsp.rename(tmp, target);
      renamed = true;
    }
    await syncDir(dirname(target));
  } finally {
    if (!renamed) {
      await fh.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync is not supported everywhere (some network/overlay filesystems); the rename
  // has already happened, so a failure here only weakens durability and is ignored.
  try {
    const dh = await fsp.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Overwrite an existing file in place (through symlinks): truncate, write, fsync. Not atomic — a
 * crash midway leaves a torn file — so it is only the fallback for a file whose directory does
 * not let us create the temp file (`edit` must not lose an edit for that).
 */
export async function overwriteInPlace(path: string, content: string | Uint8Array): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.truncate(0);
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
