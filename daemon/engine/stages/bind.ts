// Stage 6, bind (issue 16 item 6): an object whose ciphertext came from a SOPS file encrypted to
// the cluster-held key is applied only where its encrypted scope claim allows — checked on the
// objects as they will be applied (after targetNamespace, after a render), so a tenant who copies
// another tenant's file into its own path gets a refused revision, not the other tenant's secret.
// The rule is daemon/scope-binding's; this stage gathers what it needs and refuses the revision
// at `decrypt` with reason `scope` (metrics), one problem per file/object. Without cluster
// recipients (no clusterKey, or none created yet) it does nothing.
import { formatFromPath } from '../../../keys/index.js';
import { AggregateDecryptError, DecryptError } from '../../decrypt/index.js';
import type { KubeObject } from '../../kube/types.js';
import type { ManifestFile, ManifestObject } from '../../manifests/index.js';
import { bindingProblems, plainSeals, sealedFile, type ObjectSeal, type SealedFile } from '../../scope-binding/index.js';
import type { Revision } from '../../source/index.js';
import { refuse, type RevisionAt } from '../errors.js';

/** The cluster-held key's recipients, current and retired (daemon/cluster-key); empty: no binding. */
export type ClusterRecipients = () => Promise<ReadonlySet<string>>;

/** A plain sync's SOPS file: its facts and the seal of each object read from it, in order. */
export interface SealedEntry {
  file: SealedFile;
  seals: ObjectSeal[];
}

/** Seals of a plain sync's freshly read SOPS files, from their committed text (kept in the file cache). */
export function plainSealedEntries(
  committed: readonly ManifestFile[],
  objects: readonly ManifestObject[],
  decrypted: readonly string[],
): Map<string, SealedEntry> {
  const wanted = new Set(decrypted);
  const byFile = new Map<string, ManifestObject[]>();
  for (const o of objects) if (wanted.has(o.file)) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o]);
  const out = new Map<string, SealedEntry>();
  for (const f of committed) {
    if (!wanted.has(f.path)) continue;
    out.set(f.path, {
      file: sealedFile(f.path, f.text, formatFromPath(f.path), ['manifest']),
      seals: plainSeals(f.path, f.text, byFile.get(f.path) ?? []),
    });
  }
  return out;
}

/** A Helm sync's decrypted values files, read as committed. */
export async function helmSealedFiles(
  revision: Pick<Revision, 'readFile'>,
  decrypted: readonly string[],
): Promise<Map<string, SealedFile>> {
  const out = new Map<string, SealedFile>();
  for (const p of decrypted) {
    const text = Buffer.from(await revision.readFile(p)).toString('utf8');
    out.set(p, sealedFile(p, text, formatFromPath(p), ['helm-values']));
  }
  return out;
}

export interface BindInput {
  /** The objects as they will be applied. */
  objects: readonly KubeObject[];
  /** Per object: namespaced, cluster-scoped or unknown (the scope stage's answer). */
  namespaced: ReadonlyMap<KubeObject, boolean | undefined>;
  /** Per object (same order): where its ciphertext came from; undefined for plain objects. */
  seals: readonly (ObjectSeal | undefined)[];
  /** The revision's SOPS files, by path. */
  files: ReadonlyMap<string, SealedFile>;
  /** Where a namespaced object without a namespace lands (targetNamespace, a Helm release's namespace). */
  defaultNamespace?: string;
}

export async function bind(input: BindInput, clusterRecipients: ClusterRecipients | undefined, at: RevisionAt): Promise<void> {
  if (!clusterRecipients || input.files.size === 0) return;
  let cluster: ReadonlySet<string>;
  try {
    cluster = await clusterRecipients();
  } catch (err) {
    // Unknown is not "none": a file the cluster key opens could go anywhere. Refuse, retry later.
    const why = err instanceof Error ? err.message : String(err);
    const message = `cannot read the cluster-held key's recipients (${why}), so files encrypted to it cannot be checked against their scope claims`;
    refuse(at, 'decrypt', [message], new AggregateDecryptError([new DecryptError('(cluster key)', message, 'other')]));
  }
  if (cluster.size === 0) return;
  const objects = input.objects.map((object, i) => {
    const seal = input.seals[i];
    const scoped = input.namespaced.get(object);
    const namespace = scoped === false ? '' : (object.metadata.namespace ?? input.defaultNamespace ?? '');
    return { object, namespace, ...(seal ? { seal } : {}) };
  });
  const problems = bindingProblems({ objects, files: input.files, cluster });
  if (problems.length === 0) return;
  refuse(
    at,
    'decrypt',
    problems.map((p) => p.message),
    // Typed per file for the metrics (reason scope); DecryptError puts the file in front itself.
    new AggregateDecryptError(
      problems.map(
        (p) => new DecryptError(p.file, p.message.startsWith(`${p.file}: `) ? p.message.slice(p.file.length + 2) : p.message, 'scope'),
      ),
    ),
  );
}
