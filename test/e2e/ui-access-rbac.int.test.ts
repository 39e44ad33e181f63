// deploy/'s TokenReview rule on the real apiserver: two daemons listen beyond loopback with
// spec.ui.tokenReview naming one viewer ServiceAccount, each authenticated as its own
// ServiceAccount. One is bound to deploy/rbac-self.yaml's ClusterRole gitops-seal-tokenreview
// (read from the file, created under a unique name): the viewer's `kubectl create token` signs in.
// The other lacks it: the same token gets a 503 that names the missing rule — not a 401 that
// blames the token, not a 500 with a stack trace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import { DEPLOY, find, readManifests, type Role } from '../deploy/files.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { restrictedKubeconfig } from '../support/restricted-kubeconfig.js';
import { eventually, kubectl } from './harness.js';

const stack = inject('stack');
const NS = `ui-rbac-${Date.now().toString(36)}`;
const ROLE = `${NS}-tokenreview`;
const VIEWER = `system:serviceaccount:${NS}:ui-viewer`;

describe("web page sign-in with deploy/'s TokenReview rule, and without it", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-ui-rbac-'));
  const clients: KubeClient[] = [];
  let admin: KubeClient;
  let withRule: RunningDaemon;
  let withoutRule: RunningDaemon;
  let viewerToken: string;

  /** A daemon with no syncs whose home cluster client is `kubeconfig`'s ServiceAccount. */
  async function daemonAs(kubeconfig: string): Promise<RunningDaemon> {
    const home = await KubeClient.load({ kubeconfig });
    clients.push(home);
    return startDaemon(
      {
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: { sources: [], syncs: [], ui: { tokenReview: { users: [VIEWER] } } },
      },
      { daemon: { listen: '0.0.0.0:0', leaderElectionKube: home } },
    );
  }

  beforeAll(async () => {
    admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    await kubectl(stack, ['create', 'namespace', NS]);
    await kubectl(stack, ['create', 'serviceaccount', 'ui-viewer', '-n', NS]);
    const norule = await restrictedKubeconfig(admin, stack.kube, { namespace: NS, name: 'daemon-norule', rules: [], dir });
    const rule = await restrictedKubeconfig(admin, stack.kube, { namespace: NS, name: 'daemon-rule', rules: [], dir });
    const shipped = find<Role>(readManifests(join(DEPLOY, 'rbac-self.yaml')), 'ClusterRole', 'gitops-seal-tokenreview');
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    await admin.request(`${rbac}/clusterroles`, { method: 'POST', body: { metadata: { name: ROLE }, rules: shipped.rules } });
    await admin.request(`${rbac}/clusterrolebindings`, {
      method: 'POST',
      body: {
        metadata: { name: ROLE },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
        subjects: [{ kind: 'ServiceAccount', name: 'daemon-rule', namespace: NS }],
      },
    });
    viewerToken = (await kubectl(stack, ['create', 'token', 'ui-viewer', '-n', NS])).trim();
    withRule = await daemonAs(rule);
    withoutRule = await daemonAs(norule);
  });

  afterAll(async () => {
    await withRule?.stop();
    await withoutRule?.stop();
    for (const c of clients) c.close();
    for (const kind of ['clusterrolebinding', 'clusterrole'])
      await kubectl(stack, ['delete', kind, ROLE, '--ignore-not-found']).catch(() => '');
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = (d: RunningDaemon, token: string): Promise<Response> =>
    fetch(`${d.url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, next: '/' }).toString(),
    });

  it('without the rule: 503 naming tokenreviews and deploy/rbac-self.yaml, for the form, the page and the data', async () => {
    const login = await signIn(withoutRule, viewerToken);
    expect(login.status).toBe(503);
    const form = await login.text();
    expect(form).toContain('The daemon could not check the token.');
    expect(form).toContain('may not create TokenReviews (403 from the apiserver)');
    expect(form).toContain('deploy/rbac-self.yaml');
    expect(form).not.toMatch(/\n\s+at \S+ \(|Internal Server Error/);
    expect(form).not.toContain(viewerToken);
    const api = await fetch(`${withoutRule.url}/ui/api/overview`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: string }).error).toContain('create on authentication.k8s.io tokenreviews');
    // The operator's log says the same, once per check, with the apiserver's own words and no token.
    const log = withoutRule.logs.text;
    expect(log).toContain('may not create TokenReviews');
    expect(log).not.toContain(viewerToken);
  });

  it('with the rule: the viewer signs in; another ServiceAccount of the namespace is refused (401)', async () => {
    // RBAC reaches the authorizer's cache within moments of the binding.
    const login = await eventually(
      'signed in',
      async () => {
        const r = await signIn(withRule, viewerToken);
        return r.status === 303 ? r : undefined;
      },
      15_000,
    );
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(`${withRule.url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/ui/logout"');
    const other = (await kubectl(stack, ['create', 'token', 'daemon-norule', '-n', NS])).trim();
    const refused = await signIn(withRule, other);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('That token was not accepted.');
  });
});
