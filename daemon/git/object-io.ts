// Reading commits and trees straight from the bare object store: no checkout, no working tree.
// Everything here takes an ObjectStore so the same code serves fetched revisions and tests.
import git, { type ReadTreeResult, type TreeEntry } from 'isomorphic-git';
import type { StoreFs } from './store-fs.js';

export interface ObjectStore {
  gitdir: string;
  /** isomorphic-git's pack cache: parsed pack indexes live here between calls. */
  cache: object;
  fs: StoreFs;
}

/** `./a/b/` → `a/b`; `''`, `.` and `/` → `''` (root). Rejects `..` so a path cannot escape the tree. */
export function normalizePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`path "${path}" must not contain ".."`);
  return parts.join('/');
}

export async function hasObject(store: ObjectStore, oid: string): Promise<boolean> {
  try {
    await git.readObject({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid, format: 'deflated' });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NotFoundError';
}

/** The commit an oid names, following annotated tags. */
export async function peelToCommit(store: ObjectStore, oid: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const { type, object } = await git.readObject({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid, format: 'parsed' });
    if (type === 'commit') return oid;
    if (type !== 'tag') throw new Error(`object ${oid} is a ${type}, not a commit`);
    oid = (object as { object: string }).object;
  }
  throw new Error(`tag chain too deep at ${oid}`);
}

export async function commitTree(store: ObjectStore, commit: string): Promise<string> {
  const { commit: c } = await git.readCommit({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid: commit });
  return c.tree;
}

async function readTree(store: ObjectStore, oid: string): Promise<TreeEntry[]> {
  const res: ReadTreeResult = await git.readTree({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid });
  return res.tree;
}

/** Oid of the tree at `path` inside `rootTree`, or null when there is no directory there. */
export async function treeAt(store: ObjectStore, rootTree: string, path: string): Promise<string | null> {
  let oid = rootTree;
  for (const seg of normalizePath(path)
    .split('/')
    .filter((s) => s !== '')) {
    const entry = (await readTree(store, oid)).find((e) => e.path === seg);
    if (entry === undefined || entry.type !== 'tree') return null;
    oid = entry.oid;
  }
  return oid;
}

/**
 * Regular files only: symlinks (120000) and submodules (160000) are not manifests, and
 * following a symlink blob would let a repository point reads at arbitrary paths.
 */
function isRegularFile(e: TreeEntry): boolean {
  return e.type === 'blob' && (e.mode === '100644' || e.mode === '100755');
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** Every regular file below tree `oid`, as `prefix/...` paths, with their blob oids. */
export async function listBlobs(store: ObjectStore, oid: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (treeOid: string, dir: string): Promise<void> => {
    const entries = await readTree(store, treeOid);
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      if (e.type === 'tree') subdirs.push(walk(e.oid, join(dir, e.path)));
      else if (isRegularFile(e)) out.set(join(dir, e.path), e.oid);
    }
    await Promise.all(subdirs);
  };
  await walk(oid, prefix);
  return out;
}

export async function readBlob(store: ObjectStore, oid: string): Promise<Uint8Array> {
  const { blob } = await git.readBlob({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid });
  return blob;
}

/** The blob at `path` in `commit`, or null when no regular file is there. */
export async function blobAt(store: ObjectStore, commit: string, path: string): Promise<string | null> {
  const p = normalizePath(path);
  const slash = p.lastIndexOf('/');
  const dir = slash < 0 ? '' : p.slice(0, slash);
  const base = p.slice(slash + 1);
  if (base === '') return null;
  const tree = await treeAt(store, await commitTree(store, commit), dir);
  if (tree === null) return null;
  const entry = (await readTree(store, tree)).find((e) => e.path === base);
  return entry !== undefined && isRegularFile(entry) ? entry.oid : null;
}

/**
 * Paths of regular files under `path` that differ between two trees (added, removed or
 * modified). Subtrees with equal oids are skipped without being read, so the cost follows
 * the size of the change, not the size of the repository.
 */
export async function diffTrees(store: ObjectStore, from: string | null, to: string | null, prefix: string): Promise<string[]> {
  const out: string[] = [];
  const rec = async (a: string | null, b: string | null, dir: string): Promise<void> => {
    if (a === b) return;
    if (a === null || b === null) {
      const files = await listBlobs(store, (a ?? b) as string, dir);
      out.push(...files.keys());
      return;
    }
    const [ea, eb] = await Promise.all([readTree(store, a), readTree(store, b)]);
    const ma = new Map(ea.map((e) => [e.path, e]));
    const mb = new Map(eb.map((e) => [e.path, e]));
    const work: Promise<void>[] = [];
    for (const name of new Set([...ma.keys(), ...mb.keys()])) {
      const x = ma.get(name);
      const y = mb.get(name);
      if (x !== undefined && y !== undefined && x.oid === y.oid && x.mode === y.mode) continue;
      const p = join(dir, name);
      const xTree = x?.type === 'tree' ? x.oid : null;
      const yTree = y?.type === 'tree' ? y.oid : null;
      if (xTree !== null || yTree !== null) work.push(rec(xTree, yTree, p));
      // A file on either side that is not identical on the other counts as changed (this also
      // covers a file replaced by a directory and the reverse).
      const xFile = x !== undefined && isRegularFile(x);
      const yFile = y !== undefined && isRegularFile(y);
      if (xFile || yFile) out.push(p);
    }
    await Promise.all(work);
  };
  await rec(from, to, prefix);
  return [...new Set(out)].sort();
}
