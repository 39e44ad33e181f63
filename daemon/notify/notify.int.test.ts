// A dead endpoint never slows a reconcile (issue 19). A daemon (in-process, on the shared
// stack) without notifications gives the baseline; another runs a sync whose every notification
// provider and commit-status target points at a port that accepts connections and never
// answers; a 60 s request timeout and 5 attempts mean a reconcile that waited for a delivery
// would take minutes. Each revision must be applied about as fast as without notifications, the
// endpoint must have been tried (connections seen), and shutdown must not wait for it either.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from '../../test/e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../../test/support/daemon-process.js';
import { silentServer } from '../../test/support/notify-receiver.js';

const stack = inject('stack');

describe('a hung notification endpoint', () => {
  const sfx = Date.now().toString(36);
  const NS = `notify-dead-${sfx}`;
  let dead: Awaited<ReturnType<typeof silentServer>>;
  const running: RunningDaemon[] = [];
  const repos: WorkRepo[] = [];
  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NS}\ndata:\n  v: "${v}"\n`;
  const slow = { timeout: '60s', maxAttempts: 5 };
  const types = ['webhook', 'slack', 'teams', 'discord'];

  /** A daemon on a repo of its own (a ConfigMap under `path`); `notify`: every channel at the hung port. */
  async function daemonOn(name: string, notify: boolean): Promise<{ d: RunningDaemon; repo: WorkRepo }> {
    const repo = await WorkRepo.create(stack, name);
    repos.push(repo);
    await repo.commit({
      'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
      [`apps/${name}.yaml`]: cm('0').replace('settings', name),
    });
    const d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [{ name, source: 'repo', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
        ...(notify
          ? {
              notifications: {
                providers: types.map((type) => ({ name: type, type, url: `${dead.url}/${type}`, ...slow })),
                alerts: [{ name: 'all', providers: types, events: ['applied', 'refused'], dedupWindow: '0s' }],
              },
              commitStatus: [
                {
                  name: 'gh',
                  provider: 'github',
                  apiUrl: dead.url,
                  repository: 'a/b',
                  tokenFrom: { env: 'NOTIFY_DEAD_TOKEN' },
                  source: 'repo',
                  ...slow,
                },
              ],
            }
          : {}),
      },
    });
    running.push(d);
    const st = () => d.daemon.status.snapshot().syncs[0];
    await eventually(`${name}: first revision applied`, async () => st()?.appliedRevision !== undefined && st()?.ready);
    return { d, repo };
  }

  /** Commit and poll three revisions; the time of each poll (fetch + reconcile). */
  async function threeRevisions(d: RunningDaemon, repo: WorkRepo, name: string): Promise<number[]> {
    const times: number[] = [];
    const reconciles: number[] = [];
    const off = d.daemon.bus.on({ 'sync.applied': (e) => reconciles.push(e.durationMs) });
    for (let i = 1; i <= 3; i++) {
      const sha = await repo.commit({ [`apps/${name}.yaml`]: cm(String(i)).replace('settings', name) });
      const t0 = performance.now();
      await d.daemon.sources.get('repo')?.poll();
      times.push(performance.now() - t0);
      expect(d.daemon.status.snapshot().syncs[0]?.appliedRevision).toBe(sha);
    }
    off();
    console.log(`${name}: reconcile alone (sync.applied durationMs): ${reconciles.join(', ')} ms`);
    return times;
  }

  beforeAll(async () => {
    setGitEnv(stack);
    dead = await silentServer();
    process.env.NOTIFY_DEAD_TOKEN = 'token-for-a-dead-api';
  });

  afterAll(async () => {
    for (const d of running) await d.stop();
    await dead?.close();
    for (const r of repos) r.remove();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
  });

  it('applies revision after revision as fast as without notifications, and shutdown does not wait for it', async () => {
    const base = await daemonOn(`notify-base-${sfx}`, false);
    const baseline = await threeRevisions(base.d, base.repo, `notify-base-${sfx}`);
    const { d, repo } = await daemonOn(`notify-dead-${sfx}`, true);
    const times = await threeRevisions(d, repo, `notify-dead-${sfx}`);
    console.log(
      `poll+reconcile without notifications: ${baseline.map(Math.round).join(', ')} ms; with every channel at a hung port: ${times.map(Math.round).join(', ')} ms`,
    );
    // One delivery attempt alone would be 60 s: the margin is for a loaded machine only.
    for (const ms of times) expect(ms).toBeLessThan(Math.max(...baseline) + 10_000);
    await eventually('the endpoint was tried', async () => dead.connections() >= 5);
    const channels = d.daemon.status.snapshot().notifications ?? [];
    expect(channels.map((c) => c.name)).toEqual([...types, 'gh']);
    for (const c of channels) expect(c.delivered).toBe(0);
    // Messages are waiting behind the hung request: nothing was lost yet.
    expect(channels.reduce((n, c) => n + c.queued, 0)).toBeGreaterThan(0);
    const s0 = performance.now();
    await d.stop();
    const stopMs = performance.now() - s0;
    console.log(`shutdown with hung deliveries: ${Math.round(stopMs)} ms (grace 2 s)`);
    expect(stopMs).toBeLessThan(10_000);
  });
});
