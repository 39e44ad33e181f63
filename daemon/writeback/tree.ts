// Reading the YAML files of a commit and writing a new commit with some of them replaced, straight
// in the bare work store: blobs, then only the trees on the changed paths, then the commit. Every
// untouched subtree keeps its oid, so the new commit shares everything else with its parent.
import git from 'isomorphic-git';
import { commitTree, listBlobs, normalizePath, readBlob, treeAt, type ObjectStore } from '../git/index.js';
import { YamlEditError } from './errors.js';
import { isMarkerFile, MARKER_TOKEN } from './markers.js';

/** Keeps a BOM as U+FEFF (the default decoder drops it, and the file would lose it on write). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const TOKEN = Buffer.from(MARKER_TOKEN);
const READ_CONCURRENCY = 16;

export interface TextFile {
  path: string;
  text: string;
}

/**
 * The marker files (*.yaml, *.yml, `Kustomization`: markers.ts's isMarkerFile) under `path` in
 * `commit` that contain the marker token (Flux's screening), decoded as UTF-8. A candidate that
 * is not UTF-8 is reported, not guessed at.
 */
export async function readCandidates(
  store: ObjectStore,
  commit: string,
  path: string,
): Promise<{ files: TextFile[]; errors: YamlEditError[] }> {
  const dir = normalizePath(path);
  const tree = await treeAt(store, await commitTree(store, commit), dir);
  const files: TextFile[] = [];
  const errors: YamlEditError[] = [];
  if (tree === null) return { files, errors };
  const blobs = [...(await listBlobs(store, tree, dir))].filter(([p]) => isMarkerFile(p)).sort(([a], [b]) => (a < b ? -1 : 1));
  // Reads overlap pack I/O; results keep path order.
  const read: (TextFile | YamlEditError | undefined)[] = new Array(blobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < blobs.length) {
      const i = next++;
      const [p, oid] = blobs[i] as [string, string];
      const bytes = Buffer.from(await readBlob(store, oid));
      if (!bytes.includes(TOKEN)) continue;
      try {
        read[i] = { path: p, text: utf8.decode(bytes) };
      } catch {
        read[i] = new YamlEditError(p, 1, 1, 'not valid UTF-8; left unchanged');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, blobs.length) }, worker));
  for (const r of read) {
    if (r instanceof YamlEditError) errors.push(r);
    else if (r !== undefined) files.push(r);
  }
  return { files, errors };
}

interface Dir {
  files: Map<string, string>;
  dirs: Map<string, Dir>;
}

/** Write `files` (repo-relative path → new text) over the tree of `base`; returns the new root tree. */
export async function writeTreeWith(store: ObjectStore, base: string, files: readonly TextFile[]): Promise<string> {
  const g = { fs: store.fs, gitdir: store.gitdir, cache: store.cache };
  const root: Dir = { files: new Map(), dirs: new Map() };
  const blobs = await Promise.all(files.map((f) => git.writeBlob({ ...g, blob: Buffer.from(f.text, 'utf8') })));
  files.forEach((f, i) => {
    const parts = normalizePath(f.path).split('/');
    const name = parts.pop() as string;
    let d = root;
    for (const seg of parts) {
      let next = d.dirs.get(seg);
      if (next === undefined) d.dirs.set(seg, (next = { files: new Map(), dirs: new Map() }));
      d = next;
    }
    d.files.set(name, blobs[i] as string);
  });
  const rewrite = async (treeOid: string, d: Dir, at: string): Promise<string> => {
    const { tree } = await git.readTree({ ...g, oid: treeOid });
    const entries = await Promise.all(
      tree.map(async (e) => {
        const sub = d.dirs.get(e.path);
        const blob = d.files.get(e.path);
        if (sub !== undefined && e.type === 'tree') return { ...e, oid: await rewrite(e.oid, sub, `${at}${e.path}/`) };
        // Mode (644/755) is kept: only the content of an existing regular file is replaced.
        if (blob !== undefined && e.type === 'blob') return { ...e, oid: blob };
        return e;
      }),
    );
    return git.writeTree({ ...g, tree: entries });
  };
  return rewrite(await commitTree(store, base), root, '');
}
