// Replace a file so that readers (and a crash) see either the old or the new content, never a
// torn mix: write a temp file in the same directory (same filesystem, so rename is atomic),
// fsync it, rename it over the target, then fsync the directory so the rename itself is durable.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

export async function atomicWrite(target: string, content: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
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
