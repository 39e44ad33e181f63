// A Git revision's file view (daemon/source Revision) over a directory of fixtures plus
// in-memory overrides, for render tests that need no Git server: blob ids are real Git blob
// ids of the content, so cache keys behave as with a fetched commit.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Revision } from '../../daemon/source/index.js';

export type FileView = Pick<Revision, 'commit' | 'listFiles' | 'readFile' | 'fileIds'>;

function walk(dir: string, root: string, out: Map<string, Uint8Array>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else if (e.isFile()) out.set(relative(root, p).split(sep).join('/'), readFileSync(p));
  }
}

export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Files of `dir` (recursively), then `extra` added or replaced, then `remove` deleted. */
export function dirRevision(
  dir: string,
  extra: Record<string, string | Uint8Array> = {},
  remove: string[] = [],
): FileView & { files: Map<string, Uint8Array>; reads: string[] } {
  const files = new Map<string, Uint8Array>();
  walk(dir, dir, files);
  for (const [p, v] of Object.entries(extra)) files.set(p, typeof v === 'string' ? Buffer.from(v) : v);
  for (const p of remove) files.delete(p);
  const under = (path: string) => (p: string) => path === '' || p === path || p.startsWith(`${path}/`);
  const reads: string[] = [];
  return {
    files,
    reads,
    commit: gitBlobId(
      Buffer.from(
        [...files.keys()]
          .sort()
          .map((p) => `${p}:${gitBlobId(files.get(p) as Uint8Array)}`)
          .join('\n'),
      ),
    ),
    async listFiles(path) {
      return [...files.keys()].filter(under(path)).sort();
    },
    async readFile(path) {
      const b = files.get(path);
      if (!b) throw new Error(`no file "${path}"`);
      reads.push(path);
      return b;
    },
    async fileIds(path) {
      return new Map([...files].filter(([p]) => under(path)(p)).map(([p, b]) => [p, gitBlobId(b)]));
    },
  };
}
