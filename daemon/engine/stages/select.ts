// Stage 1, select: which files of the revision's tree belong to the sync — the manifests under
// its path (daemon/manifests' rules: *.yaml|*.yml|*.json, hidden files and directories skipped,
// kustomization files kept so the read stage can warn about them). A path with no manifest is
// refused unless the sync allows an empty set; a path that does not exist is refused always.
import { selectManifestFiles } from '../../manifests/index.js';
import type { Revision } from '../../source/index.js';
import { problemsOf, refuse, type RevisionAt } from '../errors.js';
import type { SyncSettings } from '../settings.js';

export interface Selection {
  /** The sync's files, sorted (code-unit order): the order objects are loaded and applied in. */
  paths: string[];
  /** Blob id per file under the sync's path, when the source knows them (the file cache's key). */
  ids: ReadonlyMap<string, string>;
}

export async function select(revision: Revision, settings: Pick<SyncSettings, 'path' | 'allowEmpty'>, at: RevisionAt): Promise<Selection> {
  let listed: string[];
  let ids: Map<string, string>;
  try {
    ids = (await revision.fileIds?.(settings.path)) ?? new Map<string, string>();
    listed = revision.fileIds ? [...ids.keys()].sort() : await revision.listFiles(settings.path);
  } catch (err) {
    return refuse(at, 'source', problemsOf(err));
  }
  const paths = selectManifestFiles(listed, settings.path);
  const where = settings.path || '/';
  if (paths.length === 0 && !settings.allowEmpty) {
    refuse(at, 'manifests', [`path "${where}" has no manifest files in this revision (wrong path? set allowEmpty to apply an empty set)`]);
  }
  // Git keeps no empty directories: a path with no file at all does not exist in this revision
  // (a typo, a moved directory). allowEmpty means "this path was emptied on purpose", not "prune
  // everything when the path is wrong", so a missing path is refused even then.
  if (listed.length === 0 && settings.allowEmpty) {
    refuse(at, 'manifests', [
      `path "${where}" does not exist in this revision (allowEmpty applies to an existing path: keep a file such as .keep in it)`,
    ]);
  }
  return { paths, ids };
}
