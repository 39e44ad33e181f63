// A fetched commit, read from the bare object store. Immutable: the same commit always yields
// the same files, so callers may cache by `commit`.
import { blobAt, commitTree, listBlobs, normalizePath, readBlob, treeAt, type ObjectStore } from '../git/index.js';
import type { Revision } from './types.js';

/** Blob reads in flight at once: enough to overlap pack I/O, bounded so memory stays flat. */
const READ_CONCURRENCY = 16;

export class FileNotFoundError extends Error {
  override readonly name = 'FileNotFoundError';
  constructor(
    readonly commit: string,
    readonly path: string,
  ) {
    super(`no file "${path}" in commit ${commit}`);
  }
}

export class GitRevision implements Revision {
  private rootTree: Promise<string> | undefined;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly store: ObjectStore,
    readonly commit: string,
    readonly ref: string,
  ) {}

  private root(): Promise<string> {
    this.rootTree ??= commitTree(this.store, this.commit);
    return this.rootTree;
  }

  private async blobs(path: string): Promise<Map<string, string>> {
    const dir = normalizePath(path);
    const tree = await treeAt(this.store, await this.root(), dir);
    return tree === null ? new Map() : listBlobs(this.store, tree, dir);
  }

  async treeId(path: string): Promise<string | null> {
    return treeAt(this.store, await this.root(), normalizePath(path));
  }

  async fileIds(path: string): Promise<Map<string, string>> {
    return this.blobs(path);
  }

  async listFiles(path: string): Promise<string[]> {
    return [...(await this.blobs(path)).keys()].sort();
  }

  async readFile(path: string): Promise<Uint8Array> {
    const oid = await blobAt(this.store, this.commit, path);
    if (oid === null) throw new FileNotFoundError(this.commit, normalizePath(path));
    return readBlob(this.store, oid);
  }

  async readFiles(path: string, filter: (p: string) => boolean): Promise<{ path: string; text: string }[]> {
    const entries = [...(await this.blobs(path))].filter(([p]) => filter(p)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: { path: string; text: string }[] = new Array(entries.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const i = next++;
        const [p, oid] = entries[i] as [string, string];
        out[i] = { path: p, text: this.decoder.decode(await readBlob(this.store, oid)) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, entries.length) }, worker));
    return out;
  }
}
