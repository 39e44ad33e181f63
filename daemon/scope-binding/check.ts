// The binding rule. An object whose ciphertext came from a SOPS file encrypted to a cluster-held
// age recipient (the daemon holds that key, so anyone who can commit to any sync could otherwise
// have it decrypted into their own namespace) is applied only where its encrypted scope claim
// allows: the claim must have been ciphertext at its own path in the same committed document as
// every cluster-key value the object carries, and must match the object as it will be applied.
// Files encrypted only to other keys (a tenant's own age key, Vault transit) are not touched:
// their recipients are the tenant's own keys.
import { describe, type KubeObject } from '../kube/types.js';
import { CLAIM_ANNOTATION, ClaimSyntaxError, claimAllows, claimText, formatClaim, parseClaim } from './claim.js';
import type { ObjectSeal, SealedFile, SealOrigin } from './sources.js';

/** How to fix a missing or plaintext claim (README "Scope"). */
export const CLAIM_FIX =
  `add metadata.annotations["${CLAIM_ANNOTATION}"]: "<namespace>/<name>" (or "<namespace>", or "*" for anywhere) and encrypt it: ` +
  `include it in the creation rule's encrypted_regex, e.g. ^(data|stringData|${CLAIM_ANNOTATION})$, and re-encrypt — ` +
  '`gitops-seal encrypt` and `create-secret` add and encrypt it for you';

export interface BoundObject {
  /** The object as it will be applied (targetNamespace applied, rendered). */
  object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>;
  /** Its namespace as applied: '' for a cluster-scoped object, or when none is known. */
  namespace: string;
  /** Where its ciphertext came from (undefined: it carries none, e.g. from a plain file). */
  seal?: ObjectSeal;
}

export interface BindingInput {
  objects: readonly BoundObject[];
  /** The SOPS files of the revision (their recipients and uses), by path. */
  files: ReadonlyMap<string, SealedFile>;
  /** Age recipients the cluster holds the key of (current and retired). */
  cluster: ReadonlySet<string>;
}

export interface BindingProblem {
  file: string;
  /** Names the file, the object, the claim and where it was going; never a secret value. */
  message: string;
}

const same = (a: SealOrigin, b: SealOrigin): boolean => a.file === b.file && a.doc === b.doc;

/** A file encrypted to the cluster-held key: what makes it need a claim. */
export function toCluster(f: SealedFile | undefined, cluster: ReadonlySet<string>): boolean {
  return f !== undefined && f.recipients.some((r) => cluster.has(r));
}

/** Files encrypted to the cluster key in a shape a claim cannot bind (checked before any object). */
function fileProblems(f: SealedFile): string[] {
  const out: string[] = [];
  const head = `${f.file}: is encrypted to the cluster-held key`;
  if (f.uses.includes('generator'))
    out.push(
      `${head} but feeds a kustomize secretGenerator, whose output carries no scope claim: encrypt it to your own key, or commit the Secret itself (with its encrypted claim) as a resource`,
    );
  if (f.uses.includes('helm-values'))
    out.push(
      `${head} but is a Helm values file, whose values can land in any object of the chart: encrypt values files to your own key or Vault transit`,
    );
  if (f.documents > 1 || f.lists)
    out.push(
      `${head} but holds ${f.lists ? 'a List' : `${f.documents} documents`}: documents of one SOPS file share a data key and SOPS binds a value to its key path, not to its document, so a claim cannot bind them one by one — put each object in its own file`,
    );
  return out;
}

function target(b: BoundObject): string {
  const name = b.object.metadata.name ?? '';
  return b.namespace ? `namespace "${b.namespace}" as "${name}"` : `"${name}" with no namespace (cluster-scoped or none set)`;
}

function objectProblem(b: BoundObject, cluster: ReadonlySet<string>, files: ReadonlyMap<string, SealedFile>): BindingProblem | undefined {
  const bound = b.seal?.origins.filter((o) => toCluster(files.get(o.file), cluster)) ?? [];
  const first = bound[0];
  if (!b.seal || !first) return undefined;
  const message = objectMessage(b, b.seal, bound, first);
  return message === undefined ? undefined : { file: first.file, message };
}

function objectMessage(b: BoundObject, seal: ObjectSeal, bound: readonly SealOrigin[], first: SealOrigin): string | undefined {
  const who = `${first.file}: ${describe(b.object)}`;
  const text = claimText(b.object);
  if (!seal.claim) {
    if (text === undefined) return `${who}: is encrypted to the cluster-held key but carries no scope claim: ${CLAIM_FIX}`;
    return `${who}: is encrypted to the cluster-held key but its scope claim ${CLAIM_ANNOTATION} was not SOPS ciphertext at metadata.annotations in the committed file (plaintext metadata can be edited by anyone, without the key): ${CLAIM_FIX}`;
  }
  const claim = seal.claim;
  const foreign = bound.find((o) => !same(o, claim));
  if (foreign)
    return `${who}: carries values of ${foreign.file} (document ${foreign.doc}) under the scope claim of ${claim.file} (document ${claim.doc}): a claim binds only the values of its own document`;
  if (text === undefined) return `${who}: its encrypted scope claim did not survive decryption`;
  let parsed;
  try {
    parsed = parseClaim(text);
  } catch (err) {
    if (err instanceof ClaimSyntaxError) return `${who}: its scope claim ${err.message}`;
    throw err;
  }
  if (claimAllows(parsed, { namespace: b.namespace, name: b.object.metadata.name ?? '' })) return undefined;
  return `${who}: would be applied to ${target(b)}, but its scope claim is "${formatClaim(parsed)}": refusing to decrypt a cluster-key secret outside its scope`;
}

/** Every binding problem of a revision (empty: it may be applied). */
export function bindingProblems(input: BindingInput): BindingProblem[] {
  const { cluster, files } = input;
  if (cluster.size === 0) return [];
  const out: BindingProblem[] = [];
  for (const f of [...files.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)))
    if (toCluster(f, cluster)) for (const message of fileProblems(f)) out.push({ file: f.file, message });
  const refused = new Set(out.map((p) => p.file));
  for (const b of input.objects) {
    const p = objectProblem(b, cluster, files);
    // A file already refused as a whole is named once, not once per object.
    if (p && !refused.has(p.file)) out.push(p);
  }
  return out;
}
