// The kustomization graph of a sync: starting at the sync path's kustomization, every
// kustomization it reaches (resources, bases, components, plugin dirs) and every file it names.
// Checked before kustomize runs: a reference that leaves the repository, is missing, or is
// remote without the host on the allow-list refuses the render, naming the kustomization file
// and the field. What the walk finds also decides what is laid out in scratch, which files are
// verified and decrypted, and the render's cache key.
import { stripUserinfo } from '../git/index.js';
import { KUSTOMIZATION_FILES, parseKustomization, resolveRef, type KustomizationRef } from './kustomization.js';
import { hostAllowed, remoteHost } from './remote.js';

export interface RepoView {
  /** Every file of the revision (repo-relative, `/`-separated). */
  files: ReadonlySet<string>;
  read(path: string): Promise<string>;
}

export interface FileUse {
  /** The kustomization file that names it. */
  kustomization: string;
  ref: KustomizationRef;
}

export interface KustomizeGraph {
  /** The sync path's kustomization file. */
  root: string;
  /** Directories of every kustomization reached, the root's first. */
  dirs: string[];
  /** Every file named by a reference, with how it is used (a file may be used more than once). */
  files: Map<string, FileUse[]>;
  /** Allowed remote references (kustomize fetches them); `value` without userinfo. */
  remotes: { kustomization: string; field: string; value: string; host: string }[];
  problems: string[];
}

/** The kustomization file in `dir`, if any (kustomize's order of preference). */
export function kustomizationIn(files: ReadonlySet<string>, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const p = dir === '' ? name : `${dir}/${name}`;
    if (files.has(p)) return p;
  }
  return undefined;
}

/** Every directory that holds a file, `''` (the root) included. */
function directoriesOf(files: ReadonlySet<string>): Set<string> {
  const dirs = new Set<string>(['']);
  for (const f of files) {
    for (let i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  }
  return dirs;
}

export async function walkKustomizations(repo: RepoView, syncPath: string, allowRemoteHosts: readonly string[] = []): Promise<KustomizeGraph> {
  const root = kustomizationIn(repo.files, syncPath);
  if (root === undefined) throw new Error(`${syncPath || '/'}: no kustomization file`);
  const graph: KustomizeGraph = { root, dirs: [], files: new Map(), remotes: [], problems: [] };
  const directories = directoriesOf(repo.files);
  const seen = new Set<string>();
  const queue: string[] = [syncPath];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const kfile = kustomizationIn(repo.files, dir);
    if (kfile === undefined) continue; // reported by the caller of enqueue
    graph.dirs.push(dir);
    const parsed = parseKustomization(await repo.read(kfile), kfile);
    graph.problems.push(...parsed.problems);
    for (const ref of parsed.refs) {
      // A remote URL may carry credentials: never repeat them in a message.
      const shown = stripUserinfo(ref.value);
      const at = `${kfile}: ${ref.field} "${shown}"`;
      const path = resolveRef(dir, ref.value);
      const local = path !== undefined && (repo.files.has(path) || directories.has(path));
      if (!local) {
        const host = remoteHost(ref.value);
        if (host !== undefined && (ref.kind === 'target' || ref.kind === 'plugin')) {
          if (hostAllowed(host, allowRemoteHosts)) graph.remotes.push({ kustomization: kfile, field: ref.field, value: shown, host });
          else graph.problems.push(`${at} is a remote reference to ${host}, which the sync does not allow (render.kustomize.allowRemoteHosts)`);
        } else if (path === undefined) {
          graph.problems.push(`${at} leaves the repository`);
        } else {
          graph.problems.push(`${at}: ${path} does not exist in this revision`);
        }
        continue;
      }
      if (repo.files.has(path)) {
        const uses = graph.files.get(path) ?? [];
        uses.push({ kustomization: kfile, ref });
        graph.files.set(path, uses);
        continue;
      }
      // A directory.
      if (ref.kind === 'file' || ref.kind === 'generator-source') {
        graph.problems.push(`${at}: ${path} is a directory, not a file`);
      } else if (kustomizationIn(repo.files, path) === undefined) {
        graph.problems.push(`${at}: directory ${path} has no kustomization file`);
      } else {
        queue.push(path);
      }
    }
  }
  return graph;
}

/**
 * The files laid out in scratch for the render: every file under each kustomization's directory
 * (kustomize may read files our walk does not model, e.g. paths inside a transformer config),
 * plus each named file. Sorted.
 */
export function filesToMaterialize(files: ReadonlySet<string>, graph: KustomizeGraph): string[] {
  const out = new Set<string>(graph.files.keys());
  const prefixes = graph.dirs.map((d) => (d === '' ? '' : `${d}/`));
  for (const f of files) if (prefixes.some((p) => f.startsWith(p))) out.add(f);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
