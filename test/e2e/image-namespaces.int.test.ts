// Image automation in a multi-tenant repository laid out as Flux users lay it out: markers in
// plain manifests, in `kustomization.yml` and in an extension-less `Kustomization`, naming the
// policy `web` of two namespaces. Two image entries named `web` (namespace team-a and team-b) scan
// two repositories of the real registry; the daemon pushes to the real git server. Each marker
// must get exactly its own namespace's value; a marker of a namespace no entry serves is left
// untouched and listed in /status as skipped with its file and line.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../stack/image-push.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const ts = Date.now();
const A = `${stack.registry.token.host}/tenants/a-web-${ts}`;
const B = `${stack.registry.token.host}/tenants/b-web-${ts}`;
const path = (image: string): string => image.slice(image.indexOf('/') + 1);

const deployment = (ns: string, image: string, marker: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image} # {"$imagepolicy": "${marker}"}
`;

const SEED: Record<string, string> = {
  'tenants/team-a/web.yaml': deployment('team-a', `${A}:1.0.0`, 'team-a:web'),
  'tenants/team-a/Kustomization': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - web.yaml
images:
  - name: web
    newName: ${A} # {"$imagepolicy": "team-a:web:name"}
    newTag: 1.0.0 # {"$imagepolicy": "team-a:web:tag"}
`,
  'tenants/team-b/web.yaml': deployment('team-b', `${B}:1.0.0`, 'team-b:web'),
  'tenants/team-b/kustomization.yml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: web
    newTag: "1.0.0" # {"$imagepolicy": "team-b:web:tag"}
`,
  // One file, both tenants: each line gets its own namespace's tag.
  'tenants/shared/values.yaml': `teamA:
  tag: 1.0.0 # {"$imagepolicy": "team-a:web:tag"}
teamB:
  tag: 1.0.0 # {"$imagepolicy": "team-b:web:tag"}
`,
  // team-c has no policy here (in Flux: another namespace's ImagePolicy): never written.
  'tenants/team-c/web.yaml': deployment('team-c', `${B}:1.0.0`, 'team-c:web'),
};

const WANT: Record<string, string> = {
  'tenants/team-a/web.yaml': (SEED['tenants/team-a/web.yaml'] as string).replace(':1.0.0 #', ':1.1.0 #'),
  'tenants/team-a/Kustomization': (SEED['tenants/team-a/Kustomization'] as string).replace('newTag: 1.0.0', 'newTag: 1.1.0'),
  'tenants/team-b/web.yaml': (SEED['tenants/team-b/web.yaml'] as string).replace(':1.0.0 #', ':2.2.0 #'),
  'tenants/team-b/kustomization.yml': (SEED['tenants/team-b/kustomization.yml'] as string).replace('"1.0.0"', '"2.2.0"'),
  'tenants/shared/values.yaml':
    'teamA:\n  tag: 1.1.0 # {"$imagepolicy": "team-a:web:tag"}\nteamB:\n  tag: 2.2.0 # {"$imagepolicy": "team-b:web:tag"}\n',
  'tenants/team-c/web.yaml': SEED['tenants/team-c/web.yaml'] as string,
};

interface StatusDoc {
  images: { name: string; namespaces?: string[]; chosenTag?: string }[];
  imageUpdates: { name: string; lastReason?: string; skipped: string[]; fileErrors: string[] }[];
}

describe('image automation: namespaced markers and Kustomization files', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_REG_USER = stack.registry.token.username;
    process.env.E2E_REG_PASSWORD = stack.registry.token.password;
    for (const tag of ['1.0.0', '1.1.0']) await pushImage(stack.registry.token, path(A), tag);
    for (const tag of ['1.0.0', '2.2.0']) await pushImage(stack.registry.token, path(B), tag);
    repo = await WorkRepo.create(stack, `e2e-tenants-${ts}`);
    await repo.commit(SEED, 'tenants');
    const image = (ns: string, ref: string) => ({
      name: 'web',
      namespace: ns,
      image: ref,
      interval: '1s',
      insecure: true,
      credentials: { usernameFrom: { env: 'E2E_REG_USER' }, passwordFrom: { env: 'E2E_REG_PASSWORD' } },
      policy: { semver: { range: '>=1.0.0' } },
    });
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'tenants', repo.url)],
        syncs: [],
        images: [image('team-a', A), image('team-b', B)],
        imageUpdates: [
          { name: 'tenant-images', source: 'tenants', path: 'tenants', author: { name: 'gitops-seal bot', email: 'bot@gitops-seal.io' } },
        ],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
  });

  const show = async (file: string): Promise<string> => `${await repo.git(['show', `origin/main:${file}`])}\n`;

  it("writes each namespace its own policy's value, in Kustomization, kustomization.yml and manifests", async () => {
    await eventually(
      'both policies written',
      async () => {
        await repo.git(['fetch', '--quiet', 'origin']);
        return (await show('tenants/shared/values.yaml')) === WANT['tenants/shared/values.yaml'];
      },
      60_000,
      500,
    );
    for (const [file, want] of Object.entries(WANT)) expect(await show(file), file).toBe(want);
    // Only the marked lines changed between the seed and the tip.
    const stat = await repo.git(['diff', '--numstat', 'HEAD', 'origin/main', '--', 'tenants']);
    expect(stat.split('\n').sort()).toEqual([
      '1\t1\ttenants/team-a/Kustomization',
      '1\t1\ttenants/team-a/web.yaml',
      '1\t1\ttenants/team-b/kustomization.yml',
      '1\t1\ttenants/team-b/web.yaml',
      '2\t2\ttenants/shared/values.yaml',
    ]);
  });

  it('/status lists the team-c marker as skipped with file and line, and tells the two "web" entries apart', async () => {
    // The first run may come before the second policy chose a tag: wait for a run with both.
    const doc = await eventually(
      'a run with both policies chosen',
      async () => {
        const st = (await (await fetch(`${d.url}/status`)).json()) as StatusDoc;
        const skipped = st.imageUpdates[0]?.skipped;
        return skipped !== undefined && st.imageUpdates[0]?.lastReason !== undefined && !skipped.some((s) => s.includes('has not chosen'))
          ? st
          : undefined;
      },
      30_000,
      500,
    );
    expect(doc.images.map((i) => [i.name, i.namespaces, i.chosenTag])).toEqual([
      ['web', ['team-a'], '1.1.0'],
      ['web', ['team-b'], '2.2.0'],
    ]);
    expect(doc.imageUpdates[0]?.fileErrors).toEqual([]);
    expect(doc.imageUpdates[0]?.skipped).toEqual([
      'tenants/team-c/web.yaml:11: team-c:web: no image policy "web" for namespace "team-c" (image policy "web": namespace team-a; namespace team-b); left unchanged',
    ]);
  });
});
