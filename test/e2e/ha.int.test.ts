// High availability on the real stack: three daemon processes elect one leader on a Lease.
// Only the leader fetches, applies and writes back; followers serve /status, /healthz and
// /readyz. SIGKILL the leader → another replica holds the Lease and applies a new commit
// within 15 s; image automation keeps making exactly one commit per new tag, on a linear
// history (nothing force-pushed, no duplicate bump).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import { pushImage } from '../stack/image-push.js';
import { runCaptured } from '../support/cli-capture.js';
import { eventually, gitSourceConfig, imageAutomationSpec, markedDeployment, setGitEnv, WorkRepo } from './harness.js';
import {
  alive,
  leaseSpec,
  logsOf,
  printLogsOnFailure,
  signal,
  startReplica,
  statusOf,
  stopReplicas,
  writeConfig,
  type Replica,
} from './replicas.js';

const stack = inject('stack');

describe('HA: leader election across daemon processes', () => {
  const id = Date.now().toString(36);
  const ns = `e2e-ha-${id}`;
  const lease = `e2e-ha-${id}`;
  const image = `${stack.registry.token.host}/team/ha-${id}`;
  const repoPath = image.slice(image.indexOf('/') + 1);
  let repo: WorkRepo;
  let kube: KubeClient;
  let replicas: Replica[] = [];
  /** Every commit of origin/main seen so far: all must stay reachable (no force-push). */
  const seen = new Set<string>();

  const manifests = (tag: string, round: number) => ({
    'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    'apps/marker.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: marker\n  namespace: ${ns}\ndata:\n  round: "${round}"\n`,
    'apps/web.yaml': markedDeployment(ns, image, tag),
  });

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_REG_USER = stack.registry.token.username;
    process.env.E2E_REG_PASSWORD = stack.registry.token.password;
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    for (const tag of ['1.0.0', '1.1.0']) await pushImage(stack.registry.token, repoPath, tag);
    repo = await WorkRepo.create(stack, `e2e-ha-${id}`);
    await repo.commit(manifests('1.0.0', 1), 'ha: round 1');
    const config = writeConfig({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
        syncs: [{ name: `ha-${id}`, source: 'repo', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
        ...imageAutomationSpec(image),
      },
    });
    // Default timings (lease 10 s, renew deadline 7 s, retry 2 s): the 15 s target is for them.
    const args = ['--leader-election-namespace', 'default', '--leader-election-id', lease];
    replicas = await Promise.all(['a', 'b', 'c'].map((n) => startReplica(stack, `ha-${id}-${n}`, config, args)));
  });

  printLogsOnFailure(() => replicas);

  afterAll(async () => {
    await stopReplicas(replicas);
    await kube?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    await kube?.request(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${lease}`, { method: 'DELETE' }).catch(() => undefined);
    kube?.close();
    repo?.remove();
  });

  const marker = async () =>
    (await kube.getOptional<{ data?: { round?: string } }>(`/api/v1/namespaces/${ns}/configmaps/marker`))?.data?.round;
  const liveImage = async () =>
    (
      await kube.getOptional<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
        `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      )
    )?.spec.template.spec.containers[0]?.image;

  /** The one replica whose /status says leader, with every live replica agreeing on the holder. */
  const soleLeader = async (): Promise<Replica | undefined> => {
    const live = replicas.filter(alive);
    const st = await Promise.all(live.map(statusOf));
    const leaders = live.filter((_, i) => st[i]?.leader === true);
    if (leaders.length !== 1 || !leaders[0]) return undefined;
    const holder = (await leaseSpec(kube, 'default', lease))?.holderIdentity;
    if (holder !== leaders[0].name) return undefined;
    return st.every((s) => s?.leaderElection?.holder === holder) ? leaders[0] : undefined;
  };

  /** Bump commits on origin/main, oldest first, with the tag each one wrote. */
  const bumps = async () => {
    await repo.git(['fetch', '--quiet', 'origin']);
    const log = (await repo.git(['log', '--reverse', '--format=%H %T %an', 'origin/main'])).split('\n');
    for (const l of log) seen.add(l.split(' ')[0] ?? '');
    const out: { sha: string; tree: string; tag: string }[] = [];
    for (const l of log.filter((x) => x.endsWith(' gitops-seal bot'))) {
      const [sha = '', tree = ''] = l.split(' ');
      const tag = /:(\d+\.\d+\.\d+) #/.exec(await repo.git(['show', `${sha}:apps/web.yaml`]))?.[1] ?? '';
      out.push({ sha, tree, tag });
    }
    return out;
  };

  /** Wait until the leader's scanner ran `n` more scans: time for a duplicate commit to show up if there were one. */
  const moreScans = async (leader: Replica, n: number) => {
    const scans = async () => ((await statusOf(leader))?.images[0] as { scans?: number } | undefined)?.scans ?? 0;
    const start = await scans();
    await eventually(`${n} more scans`, async () => (await scans()) >= start + n, 20_000, 200);
  };

  /** Commit and push; if the automation pushed meanwhile, rebase on it (never force). */
  const commit = async (files: Record<string, string>, message: string) => {
    await repo.git(['pull', '--quiet', '--rebase', 'origin', 'main']);
    try {
      await repo.commit(files, message);
    } catch {
      await repo.git(['pull', '--quiet', '--rebase', 'origin', 'main']);
      await repo.git(['push', '--quiet', 'origin', 'HEAD:main']);
    }
  };

  let leader: Replica;

  it('elects exactly one leader; only it applies and writes back, followers are ready and apply nothing', async () => {
    leader = await eventually('one leader', soleLeader, 30_000, 200);
    await eventually(
      'round 1 applied and bumped to 1.1.0',
      async () => (await marker()) === '1' && (await liveImage()) === `${image}:1.1.0`,
      60_000,
      250,
    );
    await moreScans(leader, 2);
    expect((await bumps()).map((b) => b.tag)).toEqual(['1.1.0']);

    const followers = replicas.filter((r) => r !== leader);
    for (const f of followers) {
      const st = await statusOf(f);
      expect(st).toMatchObject({ leader: false, leaderElection: { lease: `default/${lease}`, identity: f.name, holder: leader.name } });
      // A follower fetches nothing, applies nothing, pushes nothing.
      expect(st?.sources[0]?.fetches).toBe(0);
      expect(st?.syncs[0]?.attemptedRevision).toBeUndefined();
      expect(st?.imageUpdates[0]).not.toHaveProperty('lastRunAt');
      expect((await fetch(`${f.url}/readyz`)).status).toBe(200);
      expect(logsOf(f).filter((l) => l.msg === 'revision applied' || l.msg === 'image update pushed')).toEqual([]);
      // `gitops-seal status` on a follower points at the leader instead of failing on its idle syncs.
      const { code, err } = await runCaptured(['status', '--url', f.url, '-o', 'json'], {
        env: {},
        cwd: process.cwd(),
        confirm: undefined,
      });
      expect(code).toBe(0);
      expect(err).toContain(`this replica is a follower; the leader is "${leader.name}"`);
      // The web page says so too (daemon/ui), from the same status.
      const page = (await (await fetch(`${f.url}/ui/api/overview`)).json()) as { daemon: unknown };
      expect(page.daemon).toMatchObject({ leader: false, election: { replica: f.name, holder: leader.name } });
      expect(await (await fetch(`${f.url}/`)).text()).toContain(`follower — leader: ${leader.name}`);
    }
    expect(await statusOf(leader)).toMatchObject({ leader: true, leaderElection: { identity: leader.name, holder: leader.name } });
    expect((await fetch(`${leader.url}/readyz`)).status).toBe(200);
  });

  it('a new tag makes exactly one write-back commit', async () => {
    await pushImage(stack.registry.token, repoPath, '1.2.0');
    await eventually('bumped to 1.2.0', async () => (await liveImage()) === `${image}:1.2.0`, 30_000, 250);
    await moreScans(leader, 3);
    expect((await bumps()).map((b) => b.tag)).toEqual(['1.1.0', '1.2.0']);
  });

  it('SIGKILL of the leader: another replica holds the Lease and applies a new commit within 15 s', async () => {
    const before = await leaseSpec(kube, 'default', lease);
    const t0 = performance.now();
    signal(leader, 'SIGKILL');
    await leader.proc.exited;
    await commit({ 'apps/marker.yaml': manifests('1.2.0', 2)['apps/marker.yaml'] }, 'ha: round 2');
    const survivors = replicas.filter((r) => r !== leader);
    const next = await eventually(
      'a new leader applied round 2',
      async () => {
        const st = await Promise.all(survivors.map(statusOf));
        const l = survivors.find((_, i) => st[i]?.leader === true);
        return l && (await marker()) === '2' ? l : undefined;
      },
      30_000,
      100,
    );
    const took = performance.now() - t0;
    console.log(`[ha] takeover + apply after SIGKILL: ${(took / 1000).toFixed(1)} s`);
    expect(took).toBeLessThan(15_000);
    // Everyone agrees on it (the other follower sees the new holder on its next try).
    expect(await eventually('one leader, agreed on', soleLeader, 10_000, 100)).toBe(next);
    expect(await leaseSpec(kube, 'default', lease)).toMatchObject({
      holderIdentity: next.name,
      leaseTransitions: (before?.leaseTransitions ?? 0) + 1,
    });
    // The other survivor still follows.
    const other = replicas.find((r) => r !== leader && r !== next);
    if (!other) throw new Error('no third replica');
    expect(await statusOf(other)).toMatchObject({ leader: false, leaderElection: { holder: next.name } });
    leader = next;
  });

  it('after the takeover, the next tag again makes exactly one commit; history is linear and complete', async () => {
    await moreScans(leader, 2); // the new leader re-checked the current tag: no commit for it
    expect((await bumps()).map((b) => b.tag)).toEqual(['1.1.0', '1.2.0']);
    await pushImage(stack.registry.token, repoPath, '1.3.0');
    await eventually('bumped to 1.3.0', async () => (await liveImage()) === `${image}:1.3.0`, 30_000, 250);
    await moreScans(leader, 3);
    const all = await bumps();
    expect(all.map((b) => b.tag)).toEqual(['1.1.0', '1.2.0', '1.3.0']);
    expect(new Set(all.map((b) => b.tree)).size).toBe(all.length);
    expect(await repo.git(['rev-list', '--merges', 'origin/main'])).toBe('');
    for (const sha of seen)
      expect(
        await repo.git(['merge-base', '--is-ancestor', sha, 'origin/main']).then(
          () => true,
          () => sha,
        ),
      ).toBe(true);
  });
});
