// An in-memory Revision (daemon/source's interface) for unit tests of the engine's load path:
// files by path, blob ids computed from the content as git does, and a log of the files read so
// a test can see the file cache at work. Tests against real Git repositories are *.int.test.ts.
import { createHash } from 'node:crypto';
import { normalizePath } from '../../daemon/git/index.js';
import type { Revision } from '../../daemon/source/index.js';

export interface MemoryRevision extends Revision {
  /** Every path readFiles returned, in call order. */
  readonly reads: string[];
}

function blobId(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function under(path: string, p: string): boolean {
  const dir = normalizePath(path);
  return dir === '' || p.startsWith(`${dir}/`);
}

/** A revision holding `files` (repository-relative path → text). */
export function memoryRevision(
  files: Readonly<Record<string, string>>,
  commit = '0123456789abcdef0123456789abcdef01234567',
): MemoryRevision {
  const paths = Object.keys(files).sort();
  const reads: string[] = [];
  return {
    commit,
    ref: 'refs/heads/main',
    reads,
    listFiles: async (path) => paths.filter((p) => under(path, p)),
    readFile: async (path) => Buffer.from(files[path] ?? ''),
    readFiles: async (path, filter) => {
      const out = paths.filter((p) => under(path, p) && filter(p)).map((p) => ({ path: p, text: files[p] ?? '' }));
      reads.push(...out.map((f) => f.path));
      return out;
    },
    fileIds: async (path) => new Map(paths.filter((p) => under(path, p)).map((p) => [p, blobId(files[p] ?? '')])),
    // Not git's tree id, but the same promise: equal for equal files under `path`, null for no directory.
    treeId: async (path) => {
      const inside = paths.filter((p) => under(path, p));
      if (inside.length === 0) return null;
      const h = createHash('sha1');
      for (const p of inside) h.update(`${p}\0${blobId(files[p] ?? '')}\0`);
      return h.digest('hex');
    },
  };
}
