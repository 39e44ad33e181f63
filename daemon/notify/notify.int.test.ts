// A dead endpoint never slows a reconcile (issue 19). The daemon (in-process, on the shared
// stack) runs a sync whose every notification provider and commit-status target points at a
// port that accepts connections and never answers; a 60 s request timeout and 5 attempts mean a
// reconcile that waited for a delivery would take minutes. Each revision must be applied about
// as fast as without notifications, the endpoint must have been tried (connections seen), and
// shutdown must not wait for it either.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from '../../test/e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../../test/support/daemon-process.js';
import { silentServer } from '../../test/support/notify-receiver.js';

const stack = inject('stack');

describe('a hung notification endpoint', () => {
  const sfx = Date.now().toString(36);
  const NS = `notify-dead-${sfx}`;
  const SYNC = `notify-dead-${sfx}`;
  let repo: WorkRepo;
  let d: RunningDaemon;
  let dead: Awaited<ReturnType<typeof silentServer>>;
  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NS}\ndata:\n  v: "${v}"\n`;
  const status = () => d.daemon.status.snapshot().syncs.find((s) => s.name === SYNC);

  beforeAll(async () => {
    setGitEnv(stack);
    dead = await silentServer();
    process.env.NOTIFY_DEAD_TOKEN = 'token-for-a-dead-api';
    repo = await WorkRepo.create(stack, `notify-dead-${sfx}`);
    await repo.commit({ 'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`, 'apps/cm.yaml': cm('0') });
    const slow = { timeout: '60s', maxAttempts: 5 };
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [{ name: SYNC, source: 'repo', path: 'apps', kubeconfig: { file: stack.kube.kubeconfig } }],
        notifications: {
          providers: ['webhook', 'slack', 'teams', 'discord'].map((type) => ({ name: type, type, url: `${dead.url}/${type}`, ...slow })),
          alerts: [{ name: 'all', providers: ['webhook', 'slack', 'teams', 'discord'], events: ['applied', 'refused'], dedupWindow: '0s' }],
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
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    await dead?.close();
    repo?.remove();
  });

  it('applies revision after revision without waiting for it, and shutdown does not wait either', async () => {
    await eventually('first revision applied', async () => status()?.appliedRevision !== undefined && status()?.ready);
    const times: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const sha = await repo.commit({ 'apps/cm.yaml': cm(String(i)) });
      const t0 = performance.now();
      await d.daemon.sources.get('repo')?.poll();
      times.push(performance.now() - t0);
      expect(status()?.appliedRevision).toBe(sha);
    }
    // Fetch + reconcile each; one delivery attempt alone would be 60 s.
    for (const ms of times) expect(ms).toBeLessThan(15_000);
    await eventually('the endpoint was tried', async () => dead.connections() >= 5);
    const channels = d.daemon.status.snapshot().notifications ?? [];
    expect(channels.map((c) => c.name)).toEqual(['webhook', 'slack', 'teams', 'discord', 'gh']);
    for (const c of channels) expect(c.delivered).toBe(0);
    // Messages are waiting (or in flight) behind the hung request: nothing was lost yet.
    expect(channels.reduce((n, c) => n + c.queued, 0)).toBeGreaterThan(0);
    console.log(`reconcile with a hung endpoint: ${times.map((t) => Math.round(t)).join(', ')} ms; connections ${dead.connections()}`);
    const s0 = performance.now();
    await d.stop();
    const stopMs = performance.now() - s0;
    console.log(`shutdown: ${Math.round(stopMs)} ms`);
    expect(stopMs).toBeLessThan(10_000);
  });
});
