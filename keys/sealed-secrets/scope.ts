// A SealedSecret's scope and the OAEP label it was sealed under, as the controller computes them
// when it unseals (SealedSecret.Unseal → labelFor(the SealedSecret's own metadata)):
//   cluster-wide    annotation sealedsecrets.bitnami.com/cluster-wide: "true"     label ""
//   namespace-wide  annotation sealedsecrets.bitnami.com/namespace-wide: "true"   label "<namespace>"
//   strict          neither (the default)                                          label "<namespace>/<name>"
// The annotations are read from metadata.annotations — kubeseal writes them there and into
// spec.template — because that is what the controller reads; the namespace is the one the object
// is applied in, so a SealedSecret copied into another namespace (or renamed) no longer opens.

export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

export const CLUSTER_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/cluster-wide';
export const NAMESPACE_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/namespace-wide';

export function scopeOf(annotations: Readonly<Record<string, unknown>> | undefined): SealingScope {
  if (annotations?.[CLUSTER_WIDE_ANNOTATION] === 'true') return 'cluster-wide';
  if (annotations?.[NAMESPACE_WIDE_ANNOTATION] === 'true') return 'namespace-wide';
  return 'strict';
}

export function scopeLabel(scope: SealingScope, namespace: string, name: string): Buffer {
  if (scope === 'cluster-wide') return Buffer.alloc(0);
  if (scope === 'namespace-wide') return Buffer.from(namespace, 'utf8');
  return Buffer.from(`${namespace}/${name}`, 'utf8');
}
