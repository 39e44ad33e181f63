// The per-sync file cache: the parsed (and decrypted) objects of each file, kept while the file's
// blob id is unchanged, so a one-file commit in a large repository costs one file's read,
// decrypt and parse. Memory only (decrypted Secrets included): never written, never logged.
import type { KubeObject } from '../kube/types.js';
import type { ManifestFile, ManifestObject } from '../manifests/index.js';
import type { SealedEntry } from './stages/bind.js';

export interface FileCacheEntry {
  /** Blob id the entry was made from ('' when the source has none: such entries are not kept). */
  oid: string;
  objects: KubeObject[];
  decrypted: boolean;
  warnings: string[];
  /** A SOPS file: its recipients and each object's seal, from the committed text (scope binding). */
  sealed?: SealedEntry;
}
export type FileCache = Map<string, FileCacheEntry>;

/** The entries of `cache` still valid for these files: same path, same blob id. */
export function reusable(
  cache: FileCache | undefined,
  paths: readonly string[],
  ids: ReadonlyMap<string, string>,
): Map<string, FileCacheEntry> {
  const out = new Map<string, FileCacheEntry>();
  for (const p of paths) {
    const hit = cache?.get(p);
    if (hit && ids.get(p) === hit.oid) out.set(p, hit);
  }
  return out;
}

/** Fresh entries for the files just read: their objects, whether decrypted, their warnings. */
export function entriesOf(
  files: readonly Pick<ManifestFile, 'path'>[],
  ids: ReadonlyMap<string, string>,
  parsed: { objects: readonly ManifestObject[]; warnings: readonly string[] },
  decrypted: readonly string[],
): Map<string, FileCacheEntry> {
  const decryptedSet = new Set(decrypted);
  const fresh = new Map<string, FileCacheEntry>(
    files.map((f) => [
      f.path,
      {
        oid: ids.get(f.path) ?? '',
        objects: [],
        decrypted: decryptedSet.has(f.path),
        warnings: parsed.warnings.filter((w) => w.startsWith(`${f.path}: `)),
      },
    ]),
  );
  for (const o of parsed.objects) fresh.get(o.file)?.objects.push(o.object as unknown as KubeObject);
  return fresh;
}

/** The cache becomes exactly these entries (the files of the revision just loaded). */
export function refill(cache: FileCache, entries: Iterable<readonly [string, FileCacheEntry]>): void {
  cache.clear();
  for (const [p, e] of entries) if (e.oid) cache.set(p, e);
}
