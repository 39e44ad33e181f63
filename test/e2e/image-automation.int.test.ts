// Image automation end to end: new tags in the real registry (token auth) → the daemon's
// scanner picks one by semver policy → the marked image field is rewritten and pushed to the
// real git server → the daemon's own sync applies the Deployment, which rolls out on kwok nodes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../stack/image-push.js';
import { eventually, getJson, gitSourceConfig, imageAutomationSpec, markedDeployment, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import type { OverviewModel } from '../../daemon/ui/index.js';

const stack = inject('stack');

describe('image automation: registry → git → cluster', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  const image = `${stack.registry.token.host}/team/app-${Date.now()}`;
  const repoPath = image.slice(image.indexOf('/') + 1);

  // The marked Deployment with a comment before it and a commented line after the marker: the
  // write-back must keep both byte for byte.
  const deployment = (tag: string) =>
    `# the web tier\n${markedDeployment('default', image, tag)}        ports:\n        - containerPort: 8080   # keep this comment\n`;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_REG_USER = stack.registry.token.username;
    process.env.E2E_REG_PASSWORD = stack.registry.token.password;
    for (const tag of ['1.0.0', '1.1.0', '2.0.0-rc.1', 'latest']) await pushImage(stack.registry.token, repoPath, tag);
    repo = await WorkRepo.create(stack, `e2e-images-${Date.now()}`);
    await repo.commit({ 'apps/web.yaml': deployment('1.0.0') }, 'web 1.0.0');
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [{ name: 'image-apps', source: 'repo', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
        ...imageAutomationSpec(image),
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
  });

  const overview = async (): Promise<OverviewModel> => (await (await fetch(`${d.url}/ui/api/overview`)).json()) as OverviewModel;

  const liveImage = async () =>
    (await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(stack, ['deployment', 'web', '-n', 'default']))
      ?.spec.template.spec.containers[0]?.image;

  it('bumps to the newest allowed tag, byte-exact, and rolls it out', async () => {
    await eventually('bump to 1.1.0 applied', async () => (await liveImage()) === `${image}:1.1.0`, 60_000, 500);
    await repo.git(['pull', '--quiet', 'origin', 'main']);
    const text = await repo.git(['show', 'HEAD:apps/web.yaml']);
    expect(text + '\n').toBe(deployment('1.1.0'));
    expect(await repo.git(['log', '-1', '--format=%an <%ae>'])).toBe('gitops-seal bot <bot@gitops-seal.io>');
    const st = d.daemon.status.snapshot();
    expect(st.images).toEqual([expect.objectContaining({ name: 'app', chosenTag: '1.1.0' })]);
    expect(st.imageUpdates).toEqual([expect.objectContaining({ name: 'bump', lastPushedCommit: expect.any(String) })]);
    // The web page shows the bump commit on the policy's own row too.
    const bump = st.imageUpdates[0]?.lastPushedCommit ?? '';
    expect((await overview()).images).toEqual([
      expect.objectContaining({
        name: 'app',
        currentTag: '1.1.0',
        lastBump: expect.objectContaining({ commit: bump, automation: 'bump', tag: '1.1.0' }),
      }),
    ]);
    expect(await (await fetch(`${d.url}/`)).text()).toMatch(
      new RegExp(`data-testid="last-bump"><code title="${bump}">${bump.slice(0, 12)}<`),
    );
    const reg = (st.registries as Record<string, { requests: number }>)[stack.registry.token.host];
    expect(reg?.requests).toBeGreaterThan(0);
    await eventually(
      'deployment available',
      async () => {
        const dep = await getJson<{ status?: { availableReplicas?: number } }>(stack, ['deployment', 'web', '-n', 'default']);
        return dep?.status?.availableReplicas === 1;
      },
      60_000,
      500,
    );
  });

  it('follows a newly pushed tag with exactly one more commit', async () => {
    const before = Number(await repo.git(['rev-list', '--count', 'origin/main']));
    await pushImage(stack.registry.token, repoPath, '1.2.0');
    await eventually('bump to 1.2.0 applied', async () => (await liveImage()) === `${image}:1.2.0`, 60_000, 500);
    await new Promise((r) => setTimeout(r, 2500)); // a few more scans: no duplicate commit
    await repo.git(['fetch', '--quiet', 'origin']);
    expect(Number(await repo.git(['rev-list', '--count', 'origin/main']))).toBe(before + 1);
    const head = (await repo.git(['rev-parse', 'origin/main'])).trim();
    expect((await overview()).images[0]?.lastBump).toMatchObject({ commit: head, tag: '1.2.0' });
  });
});
