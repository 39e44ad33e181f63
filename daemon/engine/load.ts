// The engine's load path: one revision of one sync → the objects to apply, decrypted, in memory.
// The one entry for everything that needs to know what a sync means at a revision: the daemon's
// reconcile and the CLI's `build` and `diff` both call loadRevision, so whatever a stage does
// (a render stage included) happens identically in all three.
//
//   select → [file cache] → decrypt → read ─┐
//   render (kustomization or helm: stages/render.ts) ─┴→ parse → [file cache] → sealed → scope → bind
//
// sealed (stages/sealed.ts): only with `decryption.sealedSecrets` keys, SealedSecrets become the
// Secrets the Sealed Secrets controller would make, scope checked against the applied namespace.
//
// Each stage lives in stages/ and refuses the revision with a RevisionError naming its stage
// and, per problem, the file or object. A sync whose path holds a kustomization, or a `helm:`
// sync, is rendered instead of read: the render yields documents with their file of origin —
// the read stage's output type — so parse, the still-encrypted check and scope apply to
// rendered objects unchanged. A plain directory never reaches a renderer. Bind checks objects
// from files encrypted to the cluster-held key against their encrypted scope claims, as applied.
import type { KeyContext, SealingKey } from '../../keys/index.js';
import { describe, type KubeObject } from '../kube/types.js';
import type { HelmStatus } from '../render/index.js';
import type { ObjectSeal, SealedFile } from '../scope-binding/index.js';
import type { Revision } from '../source/index.js';
import type { RevisionAt } from './errors.js';
import { entriesOf, refill, reusable, type FileCache } from './file-cache.js';
import type { SyncSettings } from './settings.js';
import { bind, plainSealedEntries, type ClusterRecipients } from './stages/bind.js';
import { decrypt } from './stages/decrypt.js';
import { parse } from './stages/parse.js';
import { read } from './stages/read.js';
import { render, rendererOf, type ApplyPhase, type RenderContext, type Rendered } from './stages/render.js';
import { unsealSealed } from './stages/sealed.js';
import { scope, type Discovery } from './stages/scope.js';
import { select } from './stages/select.js';
import { timed, timedSync, type PhaseTimer } from './timings.js';

export interface LoadInput {
  settings: SyncSettings;
  revision: Revision;
  /** The sync's keys for this load (fresh identities; long-lived data-key cache; Sealed Secrets keys). */
  keys: KeyContext & { sealedSecrets?: readonly SealingKey[] };
  /** Discovery: which kinds are namespaced (scope stage). */
  mapper: Discovery;
  /** Parsed (and decrypted) objects per file, reused while the file's blob id is unchanged. */
  fileCache?: FileCache;
  /** Renderers, the sync's render caches and cluster capabilities (kustomize/helm syncs). */
  render?: RenderContext;
  /** The cluster-held key's recipients (bind stage); absent or empty: no scope binding. */
  clusterRecipients?: ClusterRecipients;
  /** Where each stage's time goes (the daemon's reconcile; absent: not timed). */
  timer?: PhaseTimer;
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
  /** Helm syncs: the apply phase of CRDs and hooks, by describe(object) (absent: the main phase). */
  phaseOf?: ReadonlyMap<string, ApplyPhase>;
  /** Helm syncs: the chart, values digest and hooks, for /status (nothing rendered). */
  helm?: HelmStatus;
}

export interface LoadedRevision extends DesiredState {
  fileOf: ReadonlyMap<string, string>;
  /** The renderer that made the objects (absent: a plain directory, read file by file). */
  renderedBy?: 'kustomize' | 'helm';
  /** Per object: namespaced, cluster-scoped, or unknown (kind not served, no discovery). */
  namespaced: ReadonlyMap<KubeObject, boolean | undefined>;
}

/** The objects of a revision before scope, each with its file, and what the decrypt/render said. */
interface Unscoped {
  objects: KubeObject[];
  files: string[];
  decryptedFiles: string[];
  warnings: string[];
  rendered?: Rendered;
  /** Per object: where its ciphertext came from (bind stage). */
  seals: (ObjectSeal | undefined)[];
  /** The revision's SOPS files: recipients, documents, uses (bind stage). */
  sealed: ReadonlyMap<string, SealedFile>;
}

/** Reads the sync's path out of the revision (or renders it) and returns the objects to apply, decrypted. */
export async function loadRevision(input: LoadInput): Promise<LoadedRevision> {
  const { settings, revision } = input;
  const at: RevisionAt = { sync: settings.name, commit: revision.commit };
  const t = input.timer;
  // Which renderer (a kustomization at the path, or helm:) is a look at the tree: timed as walk.
  const which = await timed(t, 'walk', () => rendererOf(revision, settings));
  const rendered =
    which === undefined
      ? undefined
      : await timed(t, 'render', () =>
          render(
            { settings, revision, keys: input.keys, mapper: input.mapper, ...(input.render ? { context: input.render } : {}) },
            at,
            which,
          ),
        );
  const u = rendered ? timedSync(t, 'parse', () => fromRender(rendered, at)) : await readPlain(input, at);
  const loaded = await timed(t, 'scope', () => finish(input, u, at));
  return which ? { ...loaded, renderedBy: which } : loaded;
}

/** sealed → scope → bind, and the revision's identity. */
async function finish(input: LoadInput, u: Unscoped, at: RevisionAt): Promise<LoadedRevision> {
  const { settings, revision } = input;
  const unsealed = unsealSealed(u.objects, u.files, input.keys.sealedSecrets, settings, at);
  u.objects = unsealed.objects;
  u.decryptedFiles = [...new Set([...u.decryptedFiles, ...unsealed.files])].sort();
  // A Helm release's namespace already went on its objects (stages/render.ts): targetNamespace
  // named that namespace, and must not move objects a chart put elsewhere past the tenancy check.
  const rules = settings.helm ? { ...settings, targetNamespace: undefined } : settings;
  const scoped = await scope(u.objects, input.mapper, rules, at);
  await bind(
    {
      objects: scoped.objects,
      namespaced: scoped.namespaced,
      seals: u.seals,
      files: u.sealed,
      ...(settings.helm ? { defaultNamespace: settings.helm.release.namespace } : {}),
      ...(!settings.helm && settings.targetNamespace ? { defaultNamespace: settings.targetNamespace } : {}),
    },
    input.clusterRecipients,
    at,
  );
  // scoped.objects[i] is u.objects[i], namespace rules applied. Only a refusal reads the map, so
  // it is built then, not on every load (20,000 keys per one-file commit, issue 18).
  const fileOf = lazyMap(() => new Map(scoped.objects.map((o, i) => [describe(o), u.files[i] ?? ''] as const)));
  const helm = u.rendered?.helm;
  return {
    revision: helm ? `${revision.commit}+${helm.revisionSuffix}` : revision.commit,
    objects: scoped.objects,
    decryptedFiles: u.decryptedFiles,
    warnings: u.warnings,
    fileOf,
    namespaced: scoped.namespaced,
    ...(helm ? { phaseOf: helm.phaseOf, helm: helm.status } : {}),
  };
}

/** A map built on first use. */
function lazyMap<K, V>(build: () => Map<K, V>): ReadonlyMap<K, V> {
  let map: Map<K, V> | undefined;
  const m = (): Map<K, V> => (map ??= build());
  return {
    get: (k) => m().get(k),
    has: (k) => m().has(k),
    get size() {
      return m().size;
    },
    forEach: (f, self?: unknown) => m().forEach((v, k) => f.call(self, v, k, m())),
    entries: () => m().entries(),
    keys: () => m().keys(),
    values: () => m().values(),
    [Symbol.iterator]: () => m()[Symbol.iterator](),
  };
}

function fromRender(rendered: Rendered, at: RevisionAt): Unscoped {
  const parsed = parse(rendered.documents, at);
  return {
    objects: parsed.objects.map((o) => o.object as unknown as KubeObject),
    files: parsed.objects.map((o) => o.file),
    decryptedFiles: rendered.decryptedFiles,
    warnings: [...rendered.warnings, ...parsed.warnings],
    rendered,
    // One rendered object per document (documentsOf): the document index finds its seal.
    seals: parsed.objects.map((o) => rendered.seals[o.index]),
    sealed: rendered.sealed,
  };
}

/** A plain directory: select → [file cache] → decrypt → read → parse → [file cache]. */
async function readPlain(input: LoadInput, at: RevisionAt): Promise<Unscoped> {
  const { settings, revision } = input;
  const t = input.timer;
  const selection = await timed(t, 'walk', () => select(revision, settings, at));
  // Files whose blob id did not change since the last load are not read, decrypted or parsed again.
  const reused = reusable(input.fileCache, selection.paths, selection.ids);
  const wanted = new Set(selection.paths.filter((p) => !reused.has(p)));
  const files = wanted.size === 0 ? [] : await timed(t, 'read', () => revision.readFiles(settings.path, (p) => wanted.has(p)));
  const plain = await timed(t, 'decrypt', () => decrypt(files, input.keys, at));
  const parsed = timedSync(t, 'parse', () => parse(read(plain.files), at));
  const fresh = entriesOf(files, selection.ids, parsed, plain.decrypted);
  for (const [p, sealed] of plainSealedEntries(files, parsed.objects, plain.decrypted)) {
    const e = fresh.get(p);
    if (e) e.sealed = sealed;
  }
  // One entry per selected file, in file order; it also becomes the cache for the next load.
  const entries = selection.paths.flatMap((p) => {
    const e = reused.get(p) ?? fresh.get(p);
    return e ? [[p, e] as const] : [];
  });
  if (input.fileCache) refill(input.fileCache, entries);
  // One pass over the objects (20,000 of them on every commit of a large sync, issue 18).
  const out: Unscoped = { objects: [], files: [], decryptedFiles: [], warnings: [], seals: [], sealed: new Map() };
  const sealed = new Map<string, SealedFile>();
  for (const [p, e] of entries) {
    for (let i = 0; i < e.objects.length; i++) {
      out.objects.push(e.objects[i] as KubeObject);
      out.files.push(p);
      out.seals.push(e.sealed?.seals[i]);
    }
    if (e.decrypted) out.decryptedFiles.push(p);
    out.warnings.push(...e.warnings);
    if (e.sealed) sealed.set(p, e.sealed.file);
  }
  return { ...out, sealed };
}
