// Which image policy a marker names. Flux resolves `<namespace>:<policy>` against the
// ImagePolicies of the automation's own namespace only: a marker naming another namespace is left
// alone. Our image entries have no namespace of their own, so each says which namespace(s) its
// markers may name; a namespaced marker is answered only by an entry of that namespace, so in a
// multi-tenant repository one team's policy never rewrites another team's image. Matching a
// namespaced marker by its policy name alone (any namespace) is what an entry opts into with
// `matchAnyNamespace: true`. A marker without a namespace (`<policy>`, `<policy>:tag`: our short
// form, which Flux does not read) names no tenant and is answered by the one entry of that name.
import type { MarkerRef } from './markers.js';

/** What an image policy selected: repository name, tag and (when reflected) digest. */
export interface PolicyValue {
  /** Image repository as it is to be written, e.g. `ghcr.io/acme/app`. */
  image: string;
  tag: string;
  /** `sha256:...`, when the policy reflects digests. */
  digest?: string;
}

/** One `spec.images[]` entry as the write-back sees it. */
export interface ImagePolicyEntry {
  name: string;
  /** Namespaces whose `<namespace>:<name>` markers this entry answers. */
  namespaces: readonly string[];
  /** Also answer `<namespace>:<name>` markers of namespaces no entry lists (name-only matching). */
  matchAnyNamespace: boolean;
  /** The policy's current choice; undefined until a scan chose a tag. */
  value?: PolicyValue;
}

export type Resolution = { entry: ImagePolicyEntry; value: PolicyValue } | { skip: string };

function scope(e: ImagePolicyEntry): string {
  if (e.matchAnyNamespace) return 'any namespace';
  if (e.namespaces.length === 0) return 'markers without a namespace only';
  return `${e.namespaces.length === 1 ? 'namespace' : 'namespaces'} ${e.namespaces.join(', ')}`;
}

function namespaced(named: readonly ImagePolicyEntry[], ns: string, policy: string): ImagePolicyEntry | string {
  const hit = named.find((e) => e.namespaces.includes(ns)) ?? named.find((e) => e.matchAnyNamespace);
  if (hit !== undefined) return hit;
  const why = `no image policy "${policy}" for namespace "${ns}"`;
  if (named.length === 0) return `${why}; left unchanged`;
  // Only entries without a namespace: most likely a config written before namespaces were matched.
  const hint = named.every((e) => e.namespaces.length === 0) ? `; give it namespace: ${ns} to answer this marker` : '';
  return `${why} (image policy "${policy}": ${named.map(scope).join('; ')}${hint}); left unchanged`;
}

function unnamespaced(named: readonly ImagePolicyEntry[], policy: string): ImagePolicyEntry | string {
  if (named.length === 1) return named[0] as ImagePolicyEntry;
  if (named.length === 0) return `no image policy named "${policy}"`;
  return `ambiguous: ${named.length} image policies are named "${policy}" (${named.map(scope).join('; ')}); write the marker as <namespace>:${policy}`;
}

/** The entry (and its current value) that answers `ref`, or why the marker is skipped. */
export function resolvePolicy(entries: readonly ImagePolicyEntry[], ref: MarkerRef): Resolution {
  const named = entries.filter((e) => e.name === ref.policy);
  const found = ref.namespace !== undefined ? namespaced(named, ref.namespace, ref.policy) : unnamespaced(named, ref.policy);
  if (typeof found === 'string') return { skip: found };
  if (found.value === undefined) return { skip: `image policy "${ref.policy}" (${scope(found)}) has not chosen a tag yet` };
  return { entry: found, value: found.value };
}
