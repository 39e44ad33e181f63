// Static checks of deploy/: what the apiserver and Pod Security "restricted" would refuse, what
// the daemon needs at run time (flags it knows, a config it can parse, RBAC for each of its
// requests), and least privilege (no wildcards, tenant confined to one namespace).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/config/index.js';
import {
  allows,
  DEPLOY,
  find,
  kustomizeObjects,
  readKustomization,
  readManifests,
  ROOT,
  TENANT,
  yamlFiles,
  type Binding,
  type Container,
  type Deployment,
  type Manifest,
  type Role,
} from './files.js';

const base = kustomizeObjects(DEPLOY);
const tenant = kustomizeObjects(TENANT);
const variants = [
  { name: 'platform', dir: DEPLOY, objs: base, ns: 'gitops-seal-system' },
  { name: 'tenant', dir: TENANT, objs: tenant, ns: 'team-a' },
];
const rbacKinds = new Set(['Role', 'ClusterRole']);

/** Long option names the daemon's CLI declares (daemon/main.ts, commander `.option('--x …')`). */
function daemonFlags(): Set<string> {
  const src = readFileSync(join(ROOT, 'daemon', 'main.ts'), 'utf8');
  return new Set([...src.matchAll(/Option\(\s*'(?:-\w, )?(--[a-z-]+)/gi)].map((m) => m[1] as string));
}

function container(d: Deployment): Container {
  const c = d.spec.template.spec.containers[0];
  if (!c) throw new Error(`${d.file}: no container`);
  return c;
}

describe('deploy/ kustomizations', () => {
  it.each(variants)('$name: lists every manifest of its directory except the Secret template', ({ dir }) => {
    const listed = readKustomization(dir).resources.slice().sort();
    expect(listed).toEqual(yamlFiles(dir).filter((f) => f !== 'secrets.example.yaml'));
  });

  it.each(variants)('$name: every namespaced object is in the variant namespace', ({ objs, ns }) => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objs.filter((x) => !clusterScoped.has(x.kind))) expect(o.metadata.namespace, `${o.file} ${o.kind}`).toBe(ns);
    expect(find(objs, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('the Secret template is not applied and holds only placeholders', () => {
    const secrets = readManifests(join(DEPLOY, 'secrets.example.yaml'));
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'gitops-seal-age',
      'gitops-seal-git',
      'gitops-seal-vault',
      'gitops-seal-webhook',
    ]);
    for (const s of secrets) {
      for (const v of Object.values(s.stringData as Record<string, string>)) expect(v).toMatch(/PLACEHOLDER/);
    }
    expect(readFileSync(join(DEPLOY, 'secrets.example.yaml'), 'utf8')).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{20,}/);
    expect([...base, ...tenant].filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe.each(variants)('deploy/ Deployment ($name)', ({ objs, ns }) => {
  const d = find<Deployment>(objs, 'Deployment');
  const pod = d.spec.template.spec;
  const c = container(d);

  it('runs 2 replicas with leader election in its own namespace, with flags the daemon knows', () => {
    expect(d.spec.replicas).toBe(2);
    const args = c.args ?? [];
    expect(args).toEqual(
      expect.arrayContaining([
        '--config=/etc/gitops-seal/config.yaml',
        '--listen=0.0.0.0:9797',
        '--data-dir=/var/lib/gitops-seal',
        '--inventory-namespace=$(POD_NAMESPACE)',
        '--leader-elect',
        '--leader-election-namespace=$(POD_NAMESPACE)',
        '--leader-election-id=gitops-seal',
      ]),
    );
    const known = daemonFlags();
    for (const a of args) expect(known, `${a} is not a gitops-seal-daemon option`).toContain(a.split('=')[0]);
  });

  it('passes Pod Security "restricted": non-root, no escalation, no capabilities, RuntimeDefault seccomp, read-only root', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext?.capabilities?.add).toBeUndefined();
    expect(c.securityContext?.privileged).not.toBe(true);
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the listen port, exposed for scraping', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9797, protocol: 'TCP' }]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(d.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9797',
      'prometheus.io/path': '/metrics',
    });
  });

  it('has resources, the measured NODE_OPTIONS, POD_NAME from the downward API and a 30 s grace period', () => {
    expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources?.limits?.memory).toBeDefined();
    // --max-old-space-size=160 MiB of heap must fit under the memory limit with room for the rest.
    expect(Number.parseInt(c.resources?.limits?.memory ?? '0', 10)).toBeGreaterThanOrEqual(256);
    const env = new Map((c.env ?? []).map((e) => [e.name, e]));
    expect(env.get('NODE_OPTIONS')?.value).toBe('--max-semi-space-size=1 --max-old-space-size=160');
    expect(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  it('writes only to emptyDirs (data dir and /tmp); config from its ConfigMap; Secrets as directories', () => {
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    const mounts = c.volumeMounts ?? [];
    const writable = mounts.filter((m) => !m.readOnly);
    expect(writable.map((m) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/gitops-seal']);
    for (const m of writable) expect(volumes.get(m.name)?.emptyDir, m.mountPath).toBeDefined();
    const cfgMount = mounts.find((m) => m.mountPath === '/etc/gitops-seal/config.yaml');
    const cfgVolume = volumes.get(cfgMount?.name ?? '');
    expect(cfgVolume?.configMap?.name).toBe('gitops-seal-config');
    find(objs, 'ConfigMap', cfgVolume?.configMap?.name);
    // subPath mounts are never refreshed by the kubelet: rotated Secrets must not use them.
    for (const m of mounts) if (volumes.get(m.name)?.secret) expect(m.subPath, m.mountPath).toBeUndefined();
    for (const m of mounts) expect(volumes.has(m.name), m.name).toBe(true);
  });

  it('runs as its ServiceAccount, selected by its Service and PDB (platform)', () => {
    expect(find(objs, 'ServiceAccount', pod.serviceAccountName).metadata.namespace).toBe(ns);
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    for (const kind of ['Service', 'PodDisruptionBudget']) {
      const o = objs.find((x) => x.kind === kind) as
        (Manifest & { spec: { selector: Record<string, string> | { matchLabels: Record<string, string> } } }) | undefined;
      if (!o) continue;
      const sel = 'matchLabels' in o.spec.selector ? o.spec.selector.matchLabels : o.spec.selector;
      expect(d.spec.template.metadata.labels, `${kind} selector`).toMatchObject(sel as Record<string, string>);
    }
  });

  it("its DaemonConfig parses with the daemon's own parser and points at mounted files", () => {
    const cm = find<Manifest & { data: Record<string, string> }>(objs, 'ConfigMap', 'gitops-seal-config');
    const config = parseConfig(cm.data['config.yaml'] ?? '', `${cm.file}#config.yaml`, { env: {} });
    expect(config.spec.listen).toBe('0.0.0.0:9797');
    const mounted = (c.volumeMounts ?? []).map((m) => m.mountPath);
    const files = JSON.stringify(config).match(/"file":"[^"]+"/g) ?? [];
    for (const f of files) {
      const path = f.slice(8, -1);
      expect(
        mounted.some((m) => path.startsWith(`${m}/`)),
        `${path} is not on a mounted volume`,
      ).toBe(true);
    }
    // Age identities from a Secret are read in the daemon's namespace, which its RBAC allows.
    for (const s of config.spec.syncs) {
      for (const ref of s.decryption?.age?.identitiesFrom ?? []) {
        if (!('secret' in ref)) continue;
        expect(ref.secret.namespace).toBe(ns);
        const canGet = objs.filter((o) => o.kind === 'Role').some((r) => allows(r as Role, '', 'secrets', 'get'));
        expect(canGet).toBe(true);
      }
    }
  });
});

describe.each(variants)('deploy/ web status page ($name)', ({ objs, ns }) => {
  const cm = find<Manifest & { data: Record<string, string> }>(objs, 'ConfigMap', 'gitops-seal-config');
  const config = parseConfig(cm.data['config.yaml'] ?? '', `${cm.file}#config.yaml`, { env: {} });
  const sa = find<Deployment>(objs, 'Deployment').spec.template.spec.serviceAccountName;

  it('listens beyond loopback, so spec.ui says who may look, and the RBAC lets the daemon check it', () => {
    const ui = config.spec.ui;
    expect(ui?.enabled).toBe(true);
    expect(ui?.tokenFrom ?? ui?.tokenReview, 'spec.ui.tokenFrom or spec.ui.tokenReview').toBeDefined();
    const bound = (kind: string): Role[] =>
      (objs.filter((o) => o.kind === `${kind}Binding`) as Binding[])
        .filter((b) => b.subjects.some((x) => x.kind === 'ServiceAccount' && x.name === sa && x.namespace === ns))
        .map((b) => find<Role>(objs, b.roleRef.kind, b.roleRef.name));
    if (ui?.tokenReview) {
      // TokenReviews are cluster-scoped: only a ClusterRole can grant them.
      expect(bound('ClusterRole').some((r) => allows(r, 'authentication.k8s.io', 'tokenreviews', 'create'))).toBe(true);
      // Limited to named viewers, each a ServiceAccount this variant ships (else any Pod's token would do).
      expect(ui.tokenReview.users.length + ui.tokenReview.groups.length).toBeGreaterThan(0);
      for (const u of ui.tokenReview.users) {
        const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(u);
        expect(m?.[1], u).toBe(ns);
        const viewer = find<Manifest & { automountServiceAccountToken?: boolean }>(objs, 'ServiceAccount', m?.[2]);
        expect(viewer.automountServiceAccountToken).toBe(false);
        // The viewer holds no permission: its token identifies a person to the page, nothing more.
        for (const b of objs.filter((o) => o.kind.endsWith('Binding')) as Binding[])
          expect(
            b.subjects.some((x) => x.name === m?.[2]),
            `${b.metadata.name} binds ${u}`,
          ).toBe(false);
      }
    }
    const ref = ui?.tokenFrom;
    if (ref && 'secret' in ref) {
      expect(ref.secret.namespace).toBe(ns);
      const roles = objs.filter((o) => o.kind === 'Role') as Role[];
      const canGet = roles.some((r) =>
        (r.rules ?? []).some(
          (x) =>
            x.apiGroups?.includes('') &&
            x.resources?.includes('secrets') &&
            x.verbs.includes('get') &&
            (!x.resourceNames || x.resourceNames.includes(ref.secret.name)),
        ),
      );
      expect(canGet, `get on Secret ${ref.secret.name}`).toBe(true);
    }
  });
});

describe('deploy/ RBAC', () => {
  const all = [...base, ...tenant];

  it('uses no wildcard in any rule and never grants bind, escalate or impersonate', () => {
    for (const r of all.filter((o) => rbacKinds.has(o.kind)) as Role[]) {
      for (const rule of r.rules ?? []) {
        for (const v of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs])
          expect(v, `${r.file} ${r.metadata.name}`).not.toContain('*');
        expect(rule.verbs).not.toEqual(expect.arrayContaining(['bind']));
        expect(rule.verbs).not.toEqual(expect.arrayContaining(['escalate']));
        expect(rule.verbs).not.toEqual(expect.arrayContaining(['impersonate']));
      }
    }
  });

  it('gives the daemon what its own namespace needs: inventories, Events, the Lease, the age Secret, the cluster key', () => {
    const self = find<Role>(base, 'Role', 'gitops-seal-self');
    for (const v of ['get', 'create', 'patch', 'delete']) expect(allows(self, '', 'configmaps', v), `configmaps ${v}`).toBe(true);
    for (const v of ['create', 'patch']) expect(allows(self, '', 'events', v)).toBe(true);
    for (const v of ['get', 'create', 'update']) expect(allows(self, 'coordination.k8s.io', 'leases', v)).toBe(true);
    const secretRules = self.rules?.filter((r) => r.resources?.includes('secrets'));
    // Exactly: the age Secret and the sources' SSH key Secret read by name; the cluster key's Secret (and ConfigMap) read and
    // replaced by name; and create, which RBAC cannot narrow by name (issue 16).
    expect(secretRules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['gitops-seal-age', 'gitops-seal-git-ssh'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets', 'configmaps'], resourceNames: ['gitops-seal-cluster-key'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    // update only by name: inventories are saved by server-side apply (patch), never PUT.
    expect(self.rules?.filter((r) => r.verbs.includes('update') && r.apiGroups?.includes('')).every((r) => r.resourceNames?.length)).toBe(
      true,
    );
    // Nothing cluster-wide is needed for these: the Role is namespaced.
    expect(self.kind).toBe('Role');
    // The one cluster-scoped rule: TokenReviews for the web page's sign-in, alone in its ClusterRole.
    expect(find<Role>(base, 'ClusterRole', 'gitops-seal-tokenreview').rules).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    ]);
    const crb = find<Binding>(base, 'ClusterRoleBinding', 'gitops-seal-tokenreview');
    expect(crb.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'gitops-seal-tokenreview' });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitops-seal', namespace: 'gitops-seal-system' }]);
  });

  it('binds the platform ClusterRole by aggregation, so users widen it with a labelled ClusterRole', () => {
    const platform = find<Role>(base, 'ClusterRole', 'gitops-seal-platform');
    const selector = platform.aggregationRule?.clusterRoleSelectors[0]?.matchLabels ?? {};
    const core = find<Role>(base, 'ClusterRole', 'gitops-seal-platform-core');
    expect(core.metadata.labels).toMatchObject(selector);
    expect(Object.keys(selector)).toEqual(['gitops-seal.io/aggregate-to-platform']);
    for (const [g, r] of [
      ['', 'configmaps'],
      ['', 'secrets'],
      ['', 'namespaces'],
      ['apps', 'deployments'],
    ] as const) {
      for (const v of ['get', 'list', 'watch', 'create', 'patch', 'delete']) expect(allows(core, g, r, v), `${g}/${r} ${v}`).toBe(true);
    }
    // Cluster-wide RBAC objects are a deliberate widening, not a default.
    expect(allows(core, 'rbac.authorization.k8s.io', 'clusterrolebindings', 'create')).toBe(false);
    expect(allows(core, 'apiextensions.k8s.io', 'customresourcedefinitions', 'create')).toBe(false);
    const crb = find<Binding>(base, 'ClusterRoleBinding', 'gitops-seal-platform');
    expect(crb.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'gitops-seal-platform' });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitops-seal', namespace: 'gitops-seal-system' }]);
  });

  it('confines the tenant to its namespace: one Role and RoleBinding, nothing cluster-scoped', () => {
    expect(tenant.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    const role = find<Role>(tenant, 'Role');
    const binding = find<Binding>(tenant, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'gitops-seal', namespace: 'team-a' }]);
    // Its inventories, Events and Lease live in its own namespace too.
    for (const v of ['get', 'create', 'patch', 'delete']) expect(allows(role, '', 'configmaps', v)).toBe(true);
    expect(allows(role, '', 'events', 'create')).toBe(true);
    for (const v of ['get', 'create', 'update']) expect(allows(role, 'coordination.k8s.io', 'leases', v)).toBe(true);
    // Core resources are listed one by one with explicit verbs (no "*", checked above), and no
    // Namespace, Node or RBAC objects.
    for (const r of ['namespaces', 'nodes', 'pods/exec']) expect(role.rules?.some((x) => x.resources?.includes(r))).toBe(false);
    expect(role.rules?.some((x) => x.apiGroups?.includes('rbac.authorization.k8s.io'))).toBe(false);
    const cm = find<Manifest & { data: Record<string, string> }>(tenant, 'ConfigMap');
    const sync = parseConfig(cm.data['config.yaml'] ?? '', cm.file, { env: {} }).spec.syncs[0];
    expect(sync?.targetNamespace).toBe('team-a');
    expect(sync?.allowedNamespaces).toEqual(['team-a']);
  });
});
