// Stage 5, scope (tenancy). The namespace rules of a sync: `targetNamespace` moves every namespaced object into one namespace
// (Flux semantics), `allowedNamespaces` is a tenancy guard — an object outside the list, or any
// cluster-scoped object (Namespaces too), refuses the revision. Scope comes from discovery, or for kinds that a
// CRD of the same revision introduces, from that CRD's spec.scope.
import type { RESTMapper } from '../../kube/discovery.js';
import { describe, splitApiVersion, type KubeObject } from '../../kube/types.js';
import { isCRD } from '../../apply/index.js';
import { refuse, type RevisionAt } from '../errors.js';

/** What the stage asks of discovery: the mapping (and so the scope) of a kind, if served. */
export type Discovery = Pick<RESTMapper, 'find'>;

interface CrdShape {
  spec?: { group?: string; scope?: string; names?: { kind?: string } };
}

/** kind@group → namespaced, for the CRDs of a revision. */
function crdScopes(objects: readonly KubeObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const o of objects) {
    if (!isCRD(o)) continue;
    const spec = (o as CrdShape).spec;
    if (spec?.names?.kind && spec.group !== undefined) out.set(`${spec.names.kind}@${spec.group}`, spec.scope !== 'Cluster');
  }
  return out;
}

export async function scopesOf(mapper: Discovery, objects: readonly KubeObject[]): Promise<Map<KubeObject, boolean | undefined>> {
  const fromCrds = crdScopes(objects);
  const out = new Map<KubeObject, boolean | undefined>();
  // One discovery lookup per kind, not per object (5,000 ConfigMaps ask once); keyed without
  // building a string per object (20,000 of them on every commit, issue 18).
  const byKind = new Map<string, Map<string, boolean | undefined>>();
  for (const o of objects) {
    let kinds = byKind.get(o.apiVersion);
    if (!kinds) byKind.set(o.apiVersion, (kinds = new Map()));
    if (!kinds.has(o.kind)) {
      const found = await mapper.find(o.apiVersion, o.kind);
      kinds.set(o.kind, found ? found.namespaced : fromCrds.get(`${o.kind}@${splitApiVersion(o.apiVersion).group}`));
    }
    out.set(o, kinds.get(o.kind));
  }
  return out;
}

export interface NamespaceRules {
  targetNamespace?: string;
  allowedNamespaces?: string[];
}

/**
 * Applies targetNamespace (copying objects, never mutating the input) and checks tenancy.
 * Returns the objects to apply and the problems (empty when allowed). Unknown kinds are left
 * to the dry-run, which names them.
 */
export function applyNamespaceRules(
  objects: readonly KubeObject[],
  scopes: Map<KubeObject, boolean | undefined>,
  rules: NamespaceRules,
): { objects: KubeObject[]; problems: string[] } {
  const problems: string[] = [];
  const allowed = rules.allowedNamespaces ? new Set(rules.allowedNamespaces) : undefined;
  const out = objects.map((o) => {
    const namespaced = scopes.get(o);
    let obj = o;
    if (namespaced === true && rules.targetNamespace && o.metadata.namespace !== rules.targetNamespace) {
      obj = { ...o, metadata: { ...o.metadata, namespace: rules.targetNamespace } };
    }
    if (allowed) {
      if (namespaced === true) {
        const ns = obj.metadata.namespace ?? '';
        if (!allowed.has(ns)) problems.push(`${describe(obj)}: namespace "${ns}" is not in allowedNamespaces [${[...allowed].join(', ')}]`);
      } else if (namespaced === false) {
        // Namespaces included, even an allowed one: owning its Namespace object would let a
        // tenant relabel it (pod-security enforce: privileged) and, by dropping it from Git,
        // prune it with every other sync's objects inside. The platform creates tenant namespaces.
        problems.push(`${describe(obj)}: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces`);
      }
    }
    return obj;
  });
  return { objects: out, problems };
}

export interface Scoped {
  /** The objects to apply, namespace rules applied (copies where changed; input order kept). */
  objects: KubeObject[];
  /** Per object of `objects`: namespaced, cluster-scoped, or unknown (no discovery, no CRD). */
  namespaced: Map<KubeObject, boolean | undefined>;
}

/**
 * The scope stage: asks discovery (or the revision's CRDs) which kinds are namespaced, applies
 * targetNamespace and refuses the revision at `tenancy` when allowedNamespaces is broken.
 */
export async function scope(objects: readonly KubeObject[], mapper: Discovery, rules: NamespaceRules, at: RevisionAt): Promise<Scoped> {
  const scopes = await scopesOf(mapper, objects);
  const ruled = applyNamespaceRules(objects, scopes, rules);
  if (ruled.problems.length > 0) refuse(at, 'tenancy', ruled.problems);
  // ruled.objects[i] is objects[i], namespace rules applied: a kind's scope is unchanged by them.
  // Without targetNamespace no object is copied, and the map by input object is the answer.
  const copied = ruled.objects.some((o, i) => o !== objects[i]);
  const namespaced = copied ? new Map(ruled.objects.map((o, i) => [o, scopes.get(objects[i] as KubeObject)] as const)) : scopes;
  return { objects: ruled.objects, namespaced };
}
