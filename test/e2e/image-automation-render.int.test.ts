// Image automation in a rendered repository (issue 15 item 6): Flux markers on the `images:`
// entry of an overlay's kustomization.yaml (newName, newTag, digest) and on the image fields of a
// Helm values file are written by the daemon's existing writeback — byte-exact, only the marked
// scalars — and the daemon's kustomize and helm syncs of that repository then roll the new image
// out. Real registry (images pushed over the Distribution API), real git server, real
// kube-apiserver, real kustomize and helm through the daemon's own renderers.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderHelm, renderKustomize } from '../../daemon/render/index.js';
import { pushImage } from '../stack/image-push.js';
import { findRenderers } from '../stack/tools.js';
import { testRepo } from '../support/git-revision.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { testAgeIdentities } from '../support/test-age-key.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';

const stack = inject('stack');
const ts = Date.now();
const IMAGE = `${stack.registry.token.host}/rendered/web-${ts}`;
const OLD_DIGEST = `sha256:${'0'.repeat(64)}`;
const NS = `img-render-${ts}`;
const SYNCS = [`img-kustomize-${ts}`, `img-helm-${ts}`];

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web
`;

const SEED: Record<string, string> = {
  'apps/base/deployment.yaml': DEPLOYMENT,
  'apps/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  // Flux's documented form: each field of the images entry carries its own marker.
  'apps/staging/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${NS}
resources:
  - ../base
images:
  - name: web
    newName: registry.example.com/old/web # {"$imagepolicy": "apps:web:name"}
    newTag: 1.0.0 # {"$imagepolicy": "apps:web:tag"}
    digest: ${OLD_DIGEST} # {"$imagepolicy": "apps:web:digest"}
`,
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'charts/web/values.yaml': 'image:\n  repository: web\n  tag: latest\n  digest: ""\n',
  'charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}{{ with .Values.image.digest }}@{{ . }}{{ end }}"
`,
  // Per-cluster values, the Helm layout users have: repository, tag and digest each marked;
  // comments and the unmarked key stay as they are.
  'clusters/staging/web-values.yaml': `# staging overrides
replicaCount: 2
image:
  repository: "registry.example.com/old/web" # {"$imagepolicy": "apps:web:name"}
  tag: '1.0.0' # {"$imagepolicy": "apps:web:tag"}
  digest: ${OLD_DIGEST} # {"$imagepolicy": "apps:web:digest"}
  pullPolicy: IfNotPresent
`,
};

describe('image automation: markers in a kustomization images entry and a Helm values file', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let digest: string;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_REG_USER = stack.registry.token.username;
    process.env.E2E_REG_PASSWORD = stack.registry.token.password;
    const path = IMAGE.slice(IMAGE.indexOf('/') + 1);
    await pushImage(stack.registry.token, path, '1.0.0');
    digest = (await pushImage(stack.registry.token, path, '1.1.0')).digest;
    repo = await WorkRepo.create(stack, `e2e-rendered-images-${ts}`);
    await repo.commit(SEED, 'rendered repo');
    await kubectl(stack, ['create', 'namespace', NS]);
    const kubeconfig = { file: stack.kube.kubeconfig };
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
        syncs: [
          { name: SYNCS[0], source: 'repo', path: 'apps/staging', allowedNamespaces: [NS], kubeconfig },
          {
            name: SYNCS[1],
            source: 'repo',
            targetNamespace: NS,
            allowedNamespaces: [NS],
            helm: {
              chart: { git: { path: 'charts/web' } },
              release: { name: 'web-chart' },
              valuesFiles: ['clusters/staging/web-values.yaml'],
            },
            kubeconfig,
          },
        ],
        images: [
          {
            name: 'web',
            namespace: 'apps',
            image: IMAGE,
            interval: '1s',
            insecure: true,
            digestPinning: true,
            credentials: { usernameFrom: { env: 'E2E_REG_USER' }, passwordFrom: { env: 'E2E_REG_PASSWORD' } },
            policy: { semver: { range: '>=1.0.0' } },
          },
        ],
        imageUpdates: [{ name: 'bump', source: 'repo', path: '.', author: { name: 'gitops-seal bot', email: 'bot@gitops-seal.io' } }],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
    await kubectl(stack, ['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    for (const s of SYNCS)
      await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
        () => undefined,
      );
  });

  const show = async (file: string): Promise<string> => `${await repo.git(['show', `origin/main:${file}`])}\n`;

  it('writes newName, newTag and digest of the images entry and the values file, byte for byte', async () => {
    await eventually(
      'the writeback commit',
      async () => {
        await repo.git(['fetch', '--quiet', 'origin']);
        return (await show('clusters/staging/web-values.yaml')) !== SEED['clusters/staging/web-values.yaml'];
      },
      60_000,
      500,
    );
    const kust = SEED['apps/staging/kustomization.yaml'] as string;
    expect(await show('apps/staging/kustomization.yaml')).toBe(
      kust
        .replace('registry.example.com/old/web #', `${IMAGE} #`)
        .replace('newTag: 1.0.0', 'newTag: 1.1.0')
        .replace(`digest: ${OLD_DIGEST}`, `digest: ${digest}`),
    );
    const values = SEED['clusters/staging/web-values.yaml'] as string;
    // Quoting styles are kept: the double-quoted name stays double-quoted, the single-quoted tag single-quoted.
    expect(await show('clusters/staging/web-values.yaml')).toBe(
      values
        .replace('"registry.example.com/old/web"', `"${IMAGE}"`)
        .replace("tag: '1.0.0'", "tag: '1.1.0'")
        .replace(`digest: ${OLD_DIGEST}`, `digest: ${digest}`),
    );
    // One commit, three lines in each of the two files, nothing else.
    const stat = await repo.git(['diff', '--numstat', 'HEAD', 'origin/main']);
    expect(stat.split('\n').sort()).toEqual(['3\t3\tapps/staging/kustomization.yaml', '3\t3\tclusters/staging/web-values.yaml']);
    expect(await repo.git(['rev-list', '--count', 'HEAD..origin/main'])).toBe('1');
  });

  it('kustomize and helm render the written image from the pushed commit', async () => {
    // The pushed commit as the daemon reads a revision (the daemon's Git reader over a commit of
    // exactly origin/main's files).
    const files = (await repo.git(['ls-tree', '-r', '--name-only', 'origin/main'])).split('\n');
    const local = await testRepo();
    try {
      for (const f of files) local.write(f, await show(f).then((t) => t.slice(0, -1)));
      const revision = await local.commit('pushed tip');
      const { kustomize, helm } = findRenderers();
      const keys = { ageIdentities: testAgeIdentities };
      const imageOf = (o: object): unknown =>
        (o as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }).spec?.template?.spec?.containers?.[0]?.image;

      const k = await renderKustomize({ sync: 'web-staging', path: 'apps/staging', revision, keys, kustomize, timeoutMs: 60_000 });
      // kustomize v5's images transformer keeps both: name:tag@digest.
      expect(k.objects.map((o) => imageOf(o.object))).toEqual([`${IMAGE}:1.1.0@${digest}`]);

      const h = await renderHelm({
        sync: 'web-helm',
        release: { name: 'web', namespace: 'staging' },
        chart: { git: { path: 'charts/web' } },
        valuesFiles: ['clusters/staging/web-values.yaml'],
        capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] },
        revision,
        keys,
        tools: { helm, bash: '/bin/bash' },
        timeoutMs: 60_000,
      });
      expect(h.objects.map((o) => imageOf(o.object))).toEqual([`${IMAGE}:1.1.0@${digest}`]);
    } finally {
      local.remove();
    }
  });

  it("the daemon's kustomize and helm syncs roll the written image out", async () => {
    const want = `${IMAGE}:1.1.0@${digest}`;
    for (const name of ['web', 'web-chart'])
      await eventually(
        `deployment ${NS}/${name} on ${want}`,
        async () => {
          const dep = await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(stack, [
            'deployment',
            name,
            '-n',
            NS,
          ]);
          return dep?.spec.template.spec.containers[0]?.image === want;
        },
        60_000,
        500,
      );
  });
});
