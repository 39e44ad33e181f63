// A kubeconfig with least privilege on the real apiserver: a ServiceAccount whose Role grants
// exactly the verbs and object names asked for, authenticated by a TokenRequest token (what
// `kubectl create token` does). For tests that prove a command needs no more than that.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeClient } from '../../daemon/kube/client.js';
import type { KubeInfo } from '../stack/types.js';

export interface RoleRule {
  apiGroups?: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * Create ServiceAccount `name` in `namespace` with a Role of `rules` bound to it, and write a
 * kubeconfig (context `name`) for it into `dir`. Returns the kubeconfig's path.
 */
export async function restrictedKubeconfig(
  admin: KubeClient,
  kube: KubeInfo,
  opts: { namespace: string; name: string; rules: RoleRule[]; dir: string },
): Promise<string> {
  const { namespace, name } = opts;
  const ns = `/api/v1/namespaces/${namespace}`;
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
  await admin.request(`${ns}/serviceaccounts`, { method: 'POST', body: { metadata: { name } } });
  await admin.request(`${rbac}/roles`, {
    method: 'POST',
    body: { metadata: { name }, rules: opts.rules.map((r) => ({ apiGroups: [''], ...r })) },
  });
  await admin.request(`${rbac}/rolebindings`, {
    method: 'POST',
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const tr = await admin.request<{ status: { token: string } }>(`${ns}/serviceaccounts/${name}/token`, {
    method: 'POST',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const file = join(opts.dir, `kubeconfig-${namespace}-${name}`);
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'stack', cluster: { server: kube.server, 'certificate-authority': kube.caFile } }],
      users: [{ name, user: { token: tr.status.token } }],
      contexts: [{ name, context: { cluster: 'stack', user: name, namespace } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return file;
}
