// Graceful shutdown on the real stack. A leader gets SIGTERM while its revision is still in
// flight (applied, waiting for a Deployment that cannot become healthy): it abandons the wait
// when --shutdown-timeout runs short, never records that revision as applied, releases the
// Lease, and exits 0 within the timeout; the follower takes over within 5 s and the inventory
// lists exactly what is in the cluster. An idle leader with no follower drains at once and
// leaves the Lease released (holderIdentity "").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InventoryStore, parseEntry } from '../../daemon/inventory/inventory.js';
import { KubeClient } from '../../daemon/kube/client.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from './harness.js';
import {
  exitOf,
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
const run = promisify(execFile);

describe('graceful shutdown (SIGTERM)', () => {
  const id = Date.now().toString(36);
  const ns = `e2e-shut-${id}`;
  const lease = `e2e-shut-${id}`;
  const sync = `shut-${id}`;
  const nodeLabel = `e2e-shutdown-${id}`;
  const node = stack.kube.nodes[0] ?? '';
  let repo: WorkRepo;
  let kube: KubeClient;
  let a: Replica | undefined;
  let b: Replica | undefined;
  let c1 = '';
  let c2 = '';

  const configMaps = (from: number, to: number) =>
    Object.fromEntries(
      Array.from({ length: to - from }, (_, i) => [
        `apps/cm-${from + i}.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${from + i}\n  namespace: ${ns}\ndata:\n  n: "${from + i}"\n`,
      ]),
    );
  // Pending until the test labels a node: the sync's health wait cannot finish before that.
  const stuck = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
  namespace: ${ns}
spec:
  replicas: 1
  selector:
    matchLabels: {app: stuck}
  template:
    metadata:
      labels: {app: stuck}
    spec:
      nodeSelector: {${nodeLabel}: "yes"}
      containers:
      - name: app
        image: registry.invalid/stuck:1
`;

  const kubectl = (args: string[]) => run(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args]);

  beforeAll(async () => {
    setGitEnv(stack);
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    repo = await WorkRepo.create(stack, `e2e-shut-${id}`);
    c1 = await repo.commit(
      { 'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`, ...configMaps(0, 20) },
      'shutdown: 20 ConfigMaps',
    );
    const config = writeConfig({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
        syncs: [{ name: sync, source: 'repo', path: 'apps', wait: true, timeout: '2m', kubeconfig: { file: stack.kube.kubeconfig } }],
      },
    });
    const args = ['--leader-election-namespace', 'default', '--leader-election-id', lease, '--shutdown-timeout', '6s'];
    // Started together (process start-up is the slow part); `a` is whichever wins the Lease.
    const started = await Promise.all(['1', '2'].map((n) => startReplica(stack, `shut-${id}-${n}`, config, args)));
    const leader = await eventually(
      'a leader',
      async () => {
        const st = await Promise.all(started.map(statusOf));
        return st.filter((x) => x?.leader).length === 1 ? started[st.findIndex((x) => x?.leader)] : undefined;
      },
      30_000,
      200,
    );
    a = leader;
    b = started.find((r) => r !== leader);
  });

  printLogsOnFailure(() => [a, b]);

  afterAll(async () => {
    await stopReplicas([a, b]);
    await kubectl(['label', 'node', node, `${nodeLabel}-`]).catch(() => undefined);
    await kube?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    await kube?.request(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${lease}`, { method: 'DELETE' }).catch(() => undefined);
    kube?.close();
    repo?.remove();
  });

  it('a leader stopped mid-revision exits 0 within the timeout, records nothing half-done, and hands over the Lease', async () => {
    const ra = a as Replica;
    const rb = b as Replica;
    await eventually('a applied c1', async () => (await statusOf(ra))?.syncs[0]?.appliedRevision === c1, 60_000, 200);
    // The follower learns the holder at its next Lease read (retry period 2 s): under load that can
    // come after a's first apply, so wait for it rather than read it once.
    await eventually('b sees a as the holder', async () => (await statusOf(rb))?.leaderElection?.holder === ra.name, 10_000, 100);
    expect(await statusOf(rb)).toMatchObject({ leader: false, leaderElection: { holder: ra.name } });

    c2 = await repo.commit(
      { 'apps/stuck.yaml': stuck, ...configMaps(20, 40) },
      'shutdown: 20 more and a Deployment that cannot become ready',
    );
    const inventory = new InventoryStore(kube);
    // c2 is applied and in the inventory; the sync now waits for the Deployment's health.
    await eventually(
      'a waits on c2 health',
      async () => {
        const st = (await statusOf(ra))?.syncs[0];
        return st?.attemptedRevision === c2 && st.appliedRevision === c1 && (await inventory.load(sync))?.revision === c2;
      },
      60_000,
      100,
    );

    const t0 = performance.now();
    signal(ra, 'SIGTERM');
    const exit = await exitOf(ra);
    const took = performance.now() - t0;
    console.log(`[shutdown] leader exit after SIGTERM mid-revision: ${(took / 1000).toFixed(1)} s (timeout 6 s)`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(6_500);
    const logs = logsOf(ra);
    expect(logs.find((l) => l.msg === 'shutdown complete')).toMatchObject({ drained: false });
    // c2 never became "applied" in a's status or logs: its health wait was abandoned.
    expect(logs.filter((l) => l.msg === 'revision applied').map((l) => l.revision)).toEqual([c1]);

    // The Lease was released (or the follower already took it); the follower leads within 5 s.
    const afterExit = await leaseSpec(kube, 'default', lease);
    expect(afterExit).toBeDefined();
    expect(['', rb.name]).toContain(afterExit?.holderIdentity ?? '');
    await eventually('b leads', async () => (await statusOf(rb))?.leader === true, 5_000, 50);
    expect(performance.now() - t0 - took).toBeLessThan(5_000);
    expect((await leaseSpec(kube, 'default', lease))?.holderIdentity).toBe(rb.name);

    // Inventory consistent with the cluster: c2's objects, all present, no labeled object missing from it.
    const inv = await inventory.load(sync);
    expect(inv?.revision).toBe(c2);
    const names = (inv?.entries ?? [])
      .map(parseEntry)
      .filter((e) => e.kind === 'ConfigMap')
      .map((e) => e.name)
      .sort();
    expect(names).toEqual(Array.from({ length: 40 }, (_, i) => `cm-${i}`).sort());
    expect(inv?.entries.map(parseEntry).some((e) => e.kind === 'Deployment' && e.name === 'stuck')).toBe(true);
    const live = await kube.request<{ items: { metadata: { name: string } }[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
      query: { labelSelector: `gitops-seal.io/sync=${sync}` },
    });
    expect(live.items.map((i) => i.metadata.name).sort()).toEqual(names);
  });

  it('an idle leader without followers drains at once, exits 0 and leaves the Lease released', async () => {
    const rb = b as Replica;
    // Let the Deployment schedule: b's health wait for c2 completes and c2 is applied.
    await kubectl(['label', 'node', node, `${nodeLabel}=yes`, '--overwrite']);
    await eventually('b applied c2', async () => (await statusOf(rb))?.syncs[0]?.appliedRevision === c2, 60_000, 200);
    const t0 = performance.now();
    signal(rb, 'SIGTERM');
    expect(await exitOf(rb)).toEqual({ code: 0, signal: null });
    expect(performance.now() - t0).toBeLessThan(6_000);
    expect(logsOf(rb).find((l) => l.msg === 'shutdown complete')).toMatchObject({ drained: true });
    const released = await leaseSpec(kube, 'default', lease);
    expect(released).toBeDefined();
    expect(released?.holderIdentity ?? '').toBe('');
  });
});
