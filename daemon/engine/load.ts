// The engine's load path: one revision of one sync → the objects to apply, decrypted, in memory.
// The one entry for everything that needs to know what a sync means at a revision: the daemon's
// reconcile and the CLI's `build` and `diff` both call loadRevision, so whatever a stage does
// (a render stage included) happens identically in all three.
//
//   select → [file cache] → decrypt → read → (render) → parse → [file cache] → scope
//
// Each stage lives in stages/ and refuses the revision with a RevisionError naming its stage
// and, per problem, the file or object. Render (Kustomize/Helm, issue 15) goes between
// select/decrypt and parse: it takes the selected files and yields documents with their file
// of origin — the read stage's output type — so parse, the still-encrypted check and scope
// apply to rendered objects unchanged.
import type { KeyContext } from '../../keys/index.js';
import { describe, type KubeObject } from '../kube/types.js';
import type { Revision } from '../source/index.js';
import type { RevisionAt } from './errors.js';
import { entriesOf, refill, reusable, type FileCache } from './file-cache.js';
import type { SyncSettings } from './settings.js';
import { decrypt } from './stages/decrypt.js';
import { parse } from './stages/parse.js';
import { read } from './stages/read.js';
import { scope, type Discovery } from './stages/scope.js';
import { select } from './stages/select.js';

export interface LoadInput {
  settings: SyncSettings;
  revision: Revision;
  /** The sync's keys for this load (fresh identities; long-lived data-key cache). */
  keys: KeyContext;
  /** Discovery: which kinds are namespaced (scope stage). */
  mapper: Discovery;
  /** Parsed (and decrypted) objects per file, reused while the file's blob id is unchanged. */
  fileCache?: FileCache;
}

/** What a revision declares: the input of apply, and what drift correction keeps applied. */
export interface DesiredState {
  revision: string;
  /** The objects as applied (decrypted Secrets included: memory only, never logged). */
  objects: KubeObject[];
  decryptedFiles: string[];
  warnings: string[];
  /** The file each object came from, by describe(object): refusals name file and object. */
  fileOf?: ReadonlyMap<string, string>;
}

export interface LoadedRevision extends DesiredState {
  fileOf: ReadonlyMap<string, string>;
  /** Per object: namespaced, cluster-scoped, or unknown (kind not served, no discovery). */
  namespaced: ReadonlyMap<KubeObject, boolean | undefined>;
}

/** Reads the sync's path out of the revision and returns the objects to apply, decrypted. */
export async function loadRevision(input: LoadInput): Promise<LoadedRevision> {
  const { settings, revision } = input;
  const at: RevisionAt = { sync: settings.name, commit: revision.commit };
  const selection = await select(revision, settings, at);
  // Files whose blob id did not change since the last load are not read, decrypted or parsed again.
  const reused = reusable(input.fileCache, selection.paths, selection.ids);
  const wanted = new Set(selection.paths.filter((p) => !reused.has(p)));
  const files = await revision.readFiles(settings.path, (p) => wanted.has(p));
  const plain = await decrypt(files, input.keys, at);
  const documents = read(plain.files);
  // (render: Kustomize/Helm output joins `documents` here — see the header.)
  const parsed = parse(documents, at);
  const fresh = entriesOf(files, selection.ids, parsed, plain.decrypted);
  // One entry per selected file, in file order; it also becomes the cache for the next load.
  const entries = selection.paths.flatMap((p) => {
    const e = reused.get(p) ?? fresh.get(p);
    return e ? [[p, e] as const] : [];
  });
  if (input.fileCache) refill(input.fileCache, entries);
  const raw = entries.flatMap(([, e]) => e.objects);
  const rawFiles = entries.flatMap(([p, e]) => e.objects.map(() => p));
  const scoped = await scope(raw, input.mapper, settings, at);
  // scoped.objects[i] is raw[i], namespace rules applied.
  const fileOf = new Map(scoped.objects.map((o, i) => [describe(o), rawFiles[i] ?? ''] as const));
  return {
    revision: revision.commit,
    objects: scoped.objects,
    decryptedFiles: entries.filter(([, e]) => e.decrypted).map(([p]) => p),
    warnings: entries.flatMap(([, e]) => e.warnings),
    fileOf,
    namespaced: scoped.namespaced,
  };
}
