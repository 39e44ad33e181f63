// The scope claim: `metadata.annotations["gitops-seal.dev/scope"]` of an object from a file
// encrypted to the cluster-held key, naming where the daemon may apply it — `<namespace>/<name>`
// (strict), `<namespace>` (namespace-wide) or `*` (cluster-wide) — Sealed Secrets' three scopes.
// It counts only as SOPS ciphertext in the committed file (sources.ts checks that): AES-GCM binds
// an encrypted value to its key path and data key, so nobody without the key can write, change
// or move one, while plaintext metadata can be edited, or even re-split under the same MAC.

export const CLAIM_ANNOTATION = 'gitops-seal.dev/scope';
/** The claim's key path in a document, as SOPS authenticates it (AAD "metadata:annotations:gitops-seal.dev/scope:"). */
export const CLAIM_PATH: readonly string[] = ['metadata', 'annotations', CLAIM_ANNOTATION];

export type ScopeClaim =
  { kind: 'strict'; namespace: string; name: string } | { kind: 'namespace'; namespace: string } | { kind: 'cluster' };

// What the apiserver accepts: a namespace is a DNS-1123 label; a name is whatever the object's
// kind allows, and the loosest rule any kind has is the path-segment one (RBAC names such as
// `team_a:reader` are legal): not `.` or `..`, no `/` or `%`. Matching is exact, so a looser
// syntax admits nothing more. Anything else is no claim at all, never a pattern.
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// `*`, whitespace and control characters are refused too, so that a claim never looks like a pattern.
// eslint-disable-next-line no-control-regex
const PATH_SEGMENT = /^[^/%*\s\x00-\x1f\x7f]+$/;

export class ClaimSyntaxError extends Error {}

/** Parses a claim's plaintext; throws ClaimSyntaxError saying what is accepted. */
export function parseClaim(text: string): ScopeClaim {
  if (text === '*') return { kind: 'cluster' };
  const slash = text.indexOf('/');
  const namespace = slash < 0 ? text : text.slice(0, slash);
  const name = slash < 0 ? undefined : text.slice(slash + 1);
  const okNamespace = namespace.length <= 63 && LABEL.test(namespace);
  const okName = name === undefined || (name.length <= 253 && PATH_SEGMENT.test(name) && name !== '.' && name !== '..');
  if (!okNamespace || !okName) {
    throw new ClaimSyntaxError(
      text.startsWith('ENC[')
        ? 'is SOPS ciphertext that the file\'s encryption rule does not cover (sops left it undecrypted): include "gitops-seal.dev/scope" in encrypted_regex'
        : 'is not "<namespace>/<name>", "<namespace>" or "*"',
    );
  }
  return name === undefined ? { kind: 'namespace', namespace } : { kind: 'strict', namespace, name };
}

export function formatClaim(c: ScopeClaim): string {
  if (c.kind === 'cluster') return '*';
  return c.kind === 'namespace' ? c.namespace : `${c.namespace}/${c.name}`;
}

/** Where an object is going: its namespace as applied ('' for a cluster-scoped or namespace-less object) and name. */
export interface Target {
  namespace: string;
  name: string;
}

export function claimAllows(c: ScopeClaim, t: Target): boolean {
  if (c.kind === 'cluster') return true;
  if (t.namespace !== c.namespace) return false;
  return c.kind === 'namespace' || t.name === c.name;
}

/** The claim an object carries, as plaintext (after decryption), if any. */
export function claimText(object: { metadata?: { annotations?: Record<string, unknown> } }): string | undefined {
  const v = object.metadata?.annotations?.[CLAIM_ANNOTATION];
  return typeof v === 'string' ? v : undefined;
}
