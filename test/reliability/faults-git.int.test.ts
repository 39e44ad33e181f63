// Fault (b): the git server goes down, answers 500, loses the answer to a push that it did
// apply, and rejects pushes — while the daemon syncs from it and image automation writes back
// to it. A PRIVATE git server (the real `git http-backend`) sits behind a fault-injecting proxy;
// the test's own commits go to the server directly. The daemon must keep the last good state,
// name the cause in /status, and after recovery converge with exactly one write-back commit
// per tag, a linear history (nothing force-pushed) and no orphan.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { setRejectPushes, startGitServer } from '../stack/gitserver.js';
import { pushImage } from '../stack/image-push.js';
import type { GitInfo, Started } from '../stack/types.js';
import { markedDeployment, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import {
  bumpedTags,
  configMap,
  cleanupShared,
  converge,
  daemonConfig,
  history,
  isAncestor,
  kubectlIn,
  namespaceYaml,
  orphans,
  ownedObjects,
  record,
  status,
  syncOf,
  type KubeAccess,
} from './fault-helpers.js';

const stack = inject('stack');
const ID = Date.now().toString(36);
// Unique per run: the shared cluster keeps inventories of earlier runs.
const SYNC = `faults-git-${ID}`;
const NS = `faults-git-${ID}`;
const INTERVAL_MS = 4000;
const BOT = 'bot@faults.gitops-seal.io';
const image = `${stack.registry.basic.host}/faults/git-${ID}`;
const repoPath = image.slice(image.indexOf('/') + 1);

const deployment = (tag: string): string => markedDeployment(NS, image, tag);

describe('fault: git server down, 500, lost push answer, rejected pushes', () => {
  let git: Started<GitInfo>;
  let proxy: FaultProxy;
  let repo: WorkRepo;
  let d: RunningDaemon;
  const k: KubeAccess = { kubectl: stack.bins.kubectl, kubeconfig: stack.kube.kubeconfig };
  const expected = [`ConfigMap/${NS}/settings`, `Deployment/${NS}/web`].sort();

  const live = async (): Promise<{ cm?: string; image?: string }> => {
    const cm = await fetchJson<{ data?: { v?: string } }>(['configmap', 'settings', '-n', NS]);
    const dep = await fetchJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(['deployment', 'web', '-n', NS]);
    return { ...(cm?.data?.v ? { cm: cm.data.v } : {}), ...(dep ? { image: dep.spec.template.spec.containers[0]?.image ?? '' } : {}) };
  };
  async function fetchJson<T>(args: string[]): Promise<T | undefined> {
    try {
      return JSON.parse(await kubectlIn(k, ['get', ...args, '-o', 'json'])) as T;
    } catch {
      return undefined;
    }
  }
  /** Commit on top of whatever the daemon pushed meanwhile (the test is just another Git user). */
  const commit = async (files: Record<string, string>, msg: string): Promise<string> => {
    await repo.git(['pull', '--quiet', '--rebase', 'origin', 'main']);
    return repo.commit(files, msg);
  };
  const remoteHead = async (): Promise<string> => (await repo.git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0] ?? '';

  beforeAll(async () => {
    git = await startGitServer();
    proxy = await FaultProxy.start(git.info.url.replace(/\/$/, ''), { seed: 7 });
    process.env.FAULTS_GIT_USER = git.info.username;
    process.env.FAULTS_GIT_PASSWORD = git.info.password;
    process.env.FAULTS_REG_USER = stack.registry.basic.username;
    process.env.FAULTS_REG_PASSWORD = stack.registry.basic.password;
    await pushImage(stack.registry.basic, repoPath, '1.0.0');
    const name = `faults-git-${ID}`;
    repo = await WorkRepo.create({ ...stack, git: git.info }, name);
    await repo.commit(
      { 'app/ns.yaml': namespaceYaml(NS), 'app/cm.yaml': configMap('settings', NS, { v: '1' }), 'app/web.yaml': deployment('1.0.0') },
      'v1',
    );
    d = await startDaemon(
      daemonConfig({
        sources: [
          {
            name: 'repo',
            url: `${proxy.url}/${name}.git`,
            ref: { branch: 'main' },
            interval: `${INTERVAL_MS}ms`,
            credentials: { usernameFrom: { env: 'FAULTS_GIT_USER' }, passwordFrom: { env: 'FAULTS_GIT_PASSWORD' } },
          },
        ],
        syncs: [{ name: SYNC, source: 'repo', path: 'app', interval: `${INTERVAL_MS}ms`, kubeconfig: { file: stack.kube.kubeconfig } }],
        images: [
          {
            name: 'app',
            image,
            interval: '1s',
            insecure: true,
            policy: { semver: { range: '>=1.0.0' } },
            credentials: { usernameFrom: { env: 'FAULTS_REG_USER' }, passwordFrom: { env: 'FAULTS_REG_PASSWORD' } },
          },
        ],
        imageUpdates: [{ name: 'bump', source: 'repo', path: 'app', author: { name: 'faults bot', email: BOT } }],
      }),
    );
    const head = await repo.head();
    await converge('v1 applied', async () => syncOf(await status(d.url), SYNC)?.appliedRevision === head, 60_000).catch(
      async (err: unknown) => {
        console.error(JSON.stringify(await status(d.url)), d.logs.text.slice(-4000));
        throw err;
      },
    );
  });

  afterAll(async () => {
    await d?.stop();
    await proxy?.stop();
    await git?.stop();
    repo?.remove();
    await cleanupShared(k, NS, SYNC);
  });

  it('keeps the last good state through every git fault, then converges without duplicate or force-push', async () => {
    const heads: string[] = [await repo.head()];
    const phases: Record<string, number> = {};

    // 1. Down: connection refused for fetches and write-back.
    await proxy.down();
    let t = Date.now();
    heads.push(await commit({ 'app/cm.yaml': configMap('settings', NS, { v: '2' }) }, 'v2'));
    await pushImage(stack.registry.basic, repoPath, '1.1.0');
    await converge(
      'status names the refused connection (source and write-back)',
      async () => {
        const st = await status(d.url);
        const up = st.imageUpdates[0] as { lastError?: string } | undefined;
        return /ECONNREFUSED/.test(st.sources[0]?.lastError?.message ?? '') && /network|ECONNREFUSED/.test(up?.lastError ?? '');
      },
      4 * INTERVAL_MS,
    );
    phases.downMs = Date.now() - t;
    expect(await live()).toEqual({ cm: '1', image: `${image}:1.0.0` });
    expect((await fetch(`${d.url}/healthz`)).ok).toBe(true);

    // 2. Up, but every request answers 500.
    await proxy.up();
    proxy.setFaults([{ share: 1, status: 500, body: 'injected: internal server error\n' }]);
    t = Date.now();
    await converge(
      'status names HTTP 500 (source and write-back)',
      async () => {
        const st = await status(d.url);
        const up = st.imageUpdates[0] as { lastError?: string } | undefined;
        return /500/.test(st.sources[0]?.lastError?.message ?? '') && /500/.test(up?.lastError ?? '');
      },
      4 * INTERVAL_MS,
    );
    phases.http500Ms = Date.now() - t;
    expect(await live()).toEqual({ cm: '1', image: `${image}:1.0.0` });
    expect(syncOf(await status(d.url), SYNC)?.appliedRevision).toBe(heads[0]);

    // 3. The push reaches the server, the answer is lost (500): the retry must not commit twice.
    proxy.setFaults([
      { share: 1, status: 500, afterForward: true, match: (r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') },
    ]);
    t = Date.now();
    await converge(
      'v2 and the 1.1.0 bump applied',
      async () => {
        const l = await live();
        return l.cm === '2' && l.image === `${image}:1.1.0`;
      },
      6 * INTERVAL_MS,
    );
    phases.lostAnswerMs = Date.now() - t;
    expect(proxy.counts.swallowed).toBeGreaterThanOrEqual(1);
    // Several more scans and automation runs while the fault stays on.
    await converge(
      'automation settled (no-change after the lost answer)',
      async () => {
        const up = (await status(d.url)).imageUpdates[0] as { lastReason?: string } | undefined;
        return up?.lastReason === 'no-change';
      },
      4 * INTERVAL_MS,
    );
    heads.push(await remoteHead());

    // 4. Pushes rejected (403; our own commit goes in just before); fetching still works.
    proxy.clearFaults();
    heads.push(await commit({ 'app/cm.yaml': configMap('settings', NS, { v: '3' }) }, 'v3'));
    await setRejectPushes(git.info, true);
    t = Date.now();
    await pushImage(stack.registry.basic, repoPath, '1.2.0');
    await converge(
      'status names the rejected push, v3 applied',
      async () => {
        const st = await status(d.url);
        const up = st.imageUpdates[0] as { lastError?: string } | undefined;
        return /push-rejected|403/.test(up?.lastError ?? '') && syncOf(st, SYNC)?.appliedRevision === heads.at(-1);
      },
      6 * INTERVAL_MS,
    );
    phases.rejectMs = Date.now() - t;
    expect(await live()).toEqual({ cm: '3', image: `${image}:1.1.0` });

    // 5. Recovery.
    await setRejectPushes(git.info, false);
    const convergeMs = await converge(
      '1.2.0 bump pushed and applied',
      async () => {
        const st = await status(d.url);
        const head = await remoteHead();
        const s = syncOf(st, SYNC);
        return (await live()).image === `${image}:1.2.0` && s?.appliedRevision === head && !s.lastError && !st.sources[0]?.lastError;
      },
      6 * INTERVAL_MS,
    );

    const final = await remoteHead();
    await repo.git(['fetch', '--quiet', 'origin']);
    const log = await history(repo.dir, 'origin/main');
    const merges = log.filter((c) => c.parents.length > 1);
    const tags = await bumpedTags(repo.dir, 'origin/main', BOT, image);
    const notAncestors = [];
    for (const h of heads) if (!(await isAncestor(repo.dir, h, final))) notAncestors.push(h);
    const owned = await ownedObjects(k, SYNC, 'configmaps,deployments');
    record('git server faults', {
      ...phases,
      convergeMs,
      intervalMs: INTERVAL_MS,
      bumpCommits: tags.length,
      swallowedPushes: proxy.counts.swallowed,
      injected: proxy.counts.injected,
      commits: log.length,
    });
    expect(tags).toEqual(['1.1.0', '1.2.0']);
    expect(merges).toEqual([]);
    expect(notAncestors).toEqual([]);
    expect(orphans(owned, expected)).toEqual([]);
    expect(owned).toEqual(expected);
    expect(convergeMs).toBeLessThanOrEqual(2 * INTERVAL_MS);
  });
});
