// The parity check of issue 17: after Flux and gitops-seal synced the same commit into their own
// namespaces, the live objects must be equal field by field, ignoring only what each tool or the
// apiserver adds by design. Every other difference is listed (and bench/flux.ts fails on it).
import { COLLECTIONS, kget, type Kube } from './cluster.js';
import { CRD_NAME, WORKLOAD_LABEL } from './workload.js';

type Obj = Record<string, unknown>;

/** Metadata fields the apiserver sets per object; never part of what a tool applied. */
const SERVER_METADATA = ['managedFields', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'namespace', 'selfLink'];
/** Labels and annotations each tool adds by design (ownership, inventory, GC). */
const TOOL_KEY = /^(kustomize\.toolkit\.fluxcd\.io\/|gitops-seal\.io\/)/;
/**
 * Set by the cluster, not by either tool: Services' allocated IPs, the Deployment controller's
 * revision annotation, and status.
 */
const CLUSTER_SET: Record<string, string[]> = {
  services: ['spec.clusterIP', 'spec.clusterIPs'],
  deployments: ['metadata.annotations.deployment.kubernetes.io/revision'],
};

function strip(kind: string, o: Obj): Obj {
  const copy = structuredClone(o);
  delete copy.status;
  const meta = (copy.metadata ?? {}) as Obj;
  for (const k of SERVER_METADATA) delete meta[k];
  for (const k of ['labels', 'annotations'] as const) {
    const m = meta[k] as Record<string, string> | undefined;
    if (!m) continue;
    for (const key of Object.keys(m)) if (TOOL_KEY.test(key)) delete m[key];
    if (k === 'annotations' && kind === 'deployments') delete m['deployment.kubernetes.io/revision'];
    if (Object.keys(m).length === 0) delete meta[k];
  }
  if (kind === 'services') {
    const spec = copy.spec as Obj | undefined;
    for (const f of ['clusterIP', 'clusterIPs']) delete spec?.[f];
  }
  return copy;
}

/** Paths where a and b differ (a leaf each), `a` and `b` the two tools' objects. */
export function diffPaths(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffPaths((a as Obj)[k], (b as Obj)[k], at ? `${at}.${k}` : k));
  }
  return [`${at}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`];
}

export interface Parity {
  compared: number;
  /** kind/name: differing paths (the first tool's value ≠ the second's). */
  differences: string[];
  /** What was left out of the comparison, for the report. */
  ignored: string;
}

/** Compares the workload objects of namespace `a` (first tool) with those of `b`, and the shared CRD exists. */
export async function parity(kube: Kube, a: string, b: string): Promise<Parity> {
  const differences: string[] = [];
  let compared = 0;
  for (const [kind, path] of Object.entries(COLLECTIONS)) {
    const list = async (ns: string): Promise<Map<string, Obj>> => {
      const r = await kget<{ items: Obj[] }>(kube, `${path.replace('NS', ns)}?labelSelector=${encodeURIComponent(WORKLOAD_LABEL)}`);
      return new Map((r.body?.items ?? []).map((o) => [String((o.metadata as Obj).name), o]));
    };
    const [la, lb] = [await list(a), await list(b)];
    for (const name of new Set([...la.keys(), ...lb.keys()])) {
      const [oa, ob] = [la.get(name), lb.get(name)];
      if (!oa || !ob) {
        differences.push(`${kind}/${name}: only in ${oa ? a : b}`);
        continue;
      }
      compared++;
      for (const d of diffPaths(strip(kind, oa), strip(kind, ob))) differences.push(`${kind}/${name}: ${d}`);
    }
  }
  const crd = await kget(kube, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
  if (crd.status !== 200) differences.push(`customresourcedefinitions/${CRD_NAME}: missing (HTTP ${crd.status})`);
  else compared++;
  const ignored =
    `metadata.{${SERVER_METADATA.join(',')}}, status, labels/annotations kustomize.toolkit.fluxcd.io/* and gitops-seal.io/*, ` +
    Object.entries(CLUSTER_SET)
      .map(([k, v]) => `${k}: ${v.join(', ')}`)
      .join('; ');
  return { compared, differences, ignored };
}

/** Namespaced collections a Kustomize overlay of the fixture repository fills. */
const OVERLAY_COLLECTIONS: Record<string, string> = {
  configmaps: '/api/v1/namespaces/NS/configmaps',
  secrets: '/api/v1/namespaces/NS/secrets',
  deployments: '/apis/apps/v1/namespaces/NS/deployments',
  services: '/api/v1/namespaces/NS/services',
};
/** Created in every namespace by the cluster, by neither tool. */
const CLUSTER_OBJECTS = new Set(['configmaps/kube-root-ca.crt']);

/**
 * The same commit's overlay synced by each tool into its own namespaces (the repository is
 * generated once per tool with different namespace names, everything else equal): every object
 * of each pair [a, b] of namespaces, and the Namespace objects themselves, equal field by field
 * once each side's namespace names are replaced by one placeholder (they differ by construction,
 * and a namespace name appears in labels such as kubernetes.io/metadata.name).
 */
export async function namespacesParity(kube: Kube, pairs: [string, string][]): Promise<Parity> {
  const differences: string[] = [];
  let compared = 0;
  const [sideA, sideB] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
  const normal = (o: Obj, names: string[]): Obj => {
    let text = JSON.stringify(o);
    for (const [i, n] of names.entries()) text = text.split(n).join(`<namespace ${i}>`);
    return JSON.parse(text) as Obj;
  };
  const compare = (kind: string, name: string, oa: Obj | undefined, ob: Obj | undefined, where: string): void => {
    if (!oa || !ob) {
      differences.push(`${kind}/${name}: only on the ${oa ? 'first' : 'second'} side (${where})`);
      return;
    }
    compared++;
    const [na, nb] = [strip(kind, normal(oa, sideA)), strip(kind, normal(ob, sideB))];
    for (const d of diffPaths(na, nb)) differences.push(`${kind}/${name}: ${d}`);
  };
  for (const [i, [a, b]] of pairs.entries()) {
    const [na, nb] = [await kget<Obj>(kube, `/api/v1/namespaces/${a}`), await kget<Obj>(kube, `/api/v1/namespaces/${b}`)];
    compare('namespaces', `<namespace ${i}>`, na.body, nb.body, `${a} / ${b}`);
    for (const [kind, path] of Object.entries(OVERLAY_COLLECTIONS)) {
      const list = async (ns: string): Promise<Map<string, Obj>> => {
        const r = await kget<{ items: Obj[] }>(kube, path.replace('NS', ns));
        const items = (r.body?.items ?? []).filter((o) => !CLUSTER_OBJECTS.has(`${kind}/${String((o.metadata as Obj).name)}`));
        return new Map(items.map((o) => [String((o.metadata as Obj).name), o]));
      };
      const [la, lb] = [await list(a), await list(b)];
      for (const name of new Set([...la.keys(), ...lb.keys()])) compare(kind, name, la.get(name), lb.get(name), `${a} / ${b}`);
    }
  }
  const ignored =
    `metadata.{${SERVER_METADATA.join(',')}}, status, labels/annotations kustomize.toolkit.fluxcd.io/* and gitops-seal.io/*, ` +
    `each side's namespace names (one placeholder), kube-root-ca.crt, ` +
    Object.entries(CLUSTER_SET)
      .map(([k, v]) => `${k}: ${v.join(', ')}`)
      .join('; ');
  return { compared, differences, ignored };
}
