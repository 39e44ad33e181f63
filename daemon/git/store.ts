// Life cycle of a local bare object store: where it lives under the cache dir, creating it,
// rebuilding it when fetched packs pile up, and the few ref writes consumers need. Reading
// commits and trees is object-io.ts; talking to the remote is a transport.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { classifyGitError } from './errors.js';
import { hasObject, type ObjectStore } from './object-io.js';
import { storeFs } from './store-fs.js';

/** Each fetch adds a pack; past this many the store is rebuilt so reads do not slow down. */
export const MAX_PACKS = 64;

/** `label` made safe for a directory name and cut to `max` characters. */
export function safeLabel(label: string, max: number): string {
  return label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, max);
}

/** `<cacheDir>/<label>-<hash of identity>.git`: one store per identity (URL, and branch for write-back). */
export function storeDir(cacheDir: string, label: string, identity: string): string {
  const key = createHash('sha256').update(identity).digest('hex').slice(0, 12);
  return join(cacheDir, `${label}-${key}.git`);
}

/** A handle on the store at `gitdir` (which need not exist yet); a fresh pack cache. */
export function openStore(gitdir: string): ObjectStore {
  return { gitdir, cache: {}, fs: storeFs(gitdir) };
}

export function storeExists(store: ObjectStore): boolean {
  return fs.existsSync(join(store.gitdir, 'config'));
}

export interface PrepareOptions {
  /** URL of the `origin` remote (without credentials): fetch and push name it. */
  remoteUrl: string;
  defaultBranch: string;
  /** Rebuild from scratch once the store holds this many packs (default MAX_PACKS). */
  maxPacks?: number;
}

/**
 * Create the bare store if missing; rebuild it when too many packs accumulated (nothing in it is
 * precious: it is a cache of the remote). Returns the handle to use from now on — a new one when
 * the store was rebuilt, so callers can tell and drop what they knew about its contents.
 * Fails with GitError(storage).
 */
export async function prepareStore(store: ObjectStore, opts: PrepareOptions): Promise<ObjectStore> {
  try {
    let current = store;
    const packDir = join(store.gitdir, 'objects', 'pack');
    const max = opts.maxPacks ?? MAX_PACKS;
    if (fs.existsSync(packDir) && fs.readdirSync(packDir).filter((f) => f.endsWith('.pack')).length >= max) {
      fs.rmSync(store.gitdir, { recursive: true, force: true });
      current = openStore(store.gitdir);
    }
    if (storeExists(current)) return current;
    fs.mkdirSync(current.gitdir, { recursive: true });
    await git.init({ fs: current.fs, gitdir: current.gitdir, bare: true, defaultBranch: opts.defaultBranch });
    // fetch() updates remote-tracking refs through the remote's refspec, so one must exist.
    await git.addRemote({ fs: current.fs, gitdir: current.gitdir, remote: 'origin', url: opts.remoteUrl, force: true });
    return current;
  } catch (err) {
    throw classifyGitError(err, { operation: 'store' });
  }
}

/** Whether the store holds `oid`; false also when the store does not exist or cannot be read. */
export async function storeHas(store: ObjectStore, oid: string): Promise<boolean> {
  if (!storeExists(store)) return false;
  try {
    return await hasObject(store, oid);
  } catch {
    return false;
  }
}

/** Point local `ref` at `oid` (created or moved). Fails with GitError(storage). */
export async function setRef(store: ObjectStore, ref: string, oid: string): Promise<void> {
  try {
    await git.writeRef({ fs: store.fs, gitdir: store.gitdir, ref, value: oid, force: true });
  } catch (err) {
    throw classifyGitError(err, { operation: 'store' });
  }
}
