// Discovery as a table, for unit tests of the engine's scope stage: which kinds the "cluster"
// serves and whether each is namespaced. Tests against a real apiserver are *.int.test.ts.
import type { ResourceMapping } from '../../daemon/kube/discovery.js';
import { splitApiVersion } from '../../daemon/kube/types.js';

/** `scopes` maps "apiVersion/Kind" (e.g. "v1/ConfigMap", "apps/v1/Deployment") to namespaced. */
export function kindScopes(scopes: Readonly<Record<string, boolean>>): {
  find(apiVersion: string, kind: string): Promise<ResourceMapping | undefined>;
} {
  return {
    find: async (apiVersion, kind) => {
      const namespaced = scopes[`${apiVersion}/${kind}`];
      if (namespaced === undefined) return undefined;
      const { group, version } = splitApiVersion(apiVersion);
      return { group, version, kind, resource: `${kind.toLowerCase()}s`, namespaced, verbs: ['get', 'list', 'patch'] };
    },
  };
}

/** The core kinds most engine tests use. */
export const CORE_KINDS = {
  'v1/Namespace': false,
  'v1/ConfigMap': true,
  'v1/Secret': true,
  'rbac.authorization.k8s.io/v1/ClusterRole': false,
} as const;
