// Sharding on the real stack: three daemon processes with --shards 12 split 12 syncs 4/4/4 by
// shard Leases — 4 shards and 4 syncs each (the balanced map puts one sync on each shard;
// plain hashing left shards empty). SIGKILL one → its syncs are owned elsewhere and a new commit reaches each within
// 15 s while the survivors keep theirs; start it again → exactly its share (4) moves back;
// SIGSTOP one past its lease, let the others take over, SIGCONT it → it writes nothing and exits 1. Each replica reaches the
// apiserver through its own counting proxy (test/support/fault-proxy.ts: plain HTTP in, TLS to
// the apiserver), so every write is attributed to the replica that made it. Default timings
// (lease 10 s, renew deadline 7 s, retry 2 s): the 15 s target is for them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import type { OverviewModel } from '../../daemon/ui/index.js';
import { openEventStream } from '../support/event-stream.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from './harness.js';
import { exitOf, printLogsOnFailure, signal, startReplica, statusOf, stopReplicas, writeConfig, type Replica } from './replicas.js';

const stack = inject('stack');
const SYNCS = 12;
const NAMES = ['a', 'b', 'c'] as const;

describe('sharding: syncs spread across daemon processes by shard Leases', () => {
  const id = Date.now().toString(36);
  const ns = `e2e-sh-${id}`;
  const group = `e2e-sh-${id}`;
  let repo: WorkRepo;
  let kube: KubeClient;
  const replicas = new Map<string, Replica>();
  const proxies = new Map<string, FaultProxy>();
  const configs = new Map<string, string>();
  const kubeconfigs = new Map<string, string>();
  const syncName = (i: number): string => `sh-${id}-${i}`;
  const manifests = (round: number): Record<string, string> =>
    Object.fromEntries(
      Array.from({ length: SYNCS }, (_, i) => [
        `apps/s${i}/cm.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${i}\n  namespace: ${ns}\ndata:\n  round: "${round}"\n`,
      ]),
    );

  /** Writes (not reads, not Lease renewals) a replica sent to the apiserver through its proxy since request index `from`. */
  const writesOf = (name: string, from = 0): string[] =>
    (proxies.get(name)?.requests ?? [])
      .slice(from)
      .filter((r) => r.method !== 'GET' && !r.path.includes('/leases'))
      .filter((r) => r.path.includes('/configmaps'))
      .map((r) => `${r.method} ${r.path}`);

  async function start(name: string): Promise<Replica> {
    const args = ['--shards', String(SYNCS), '--leader-election-namespace', 'default', '--leader-election-id', group];
    // POD_IP as in a Pod: the replica advertises http://127.0.0.1:<its port> in its member Lease,
    // so peers merge its rows into their /status and web page (daemon/fleet/).
    const env = { KUBECONFIG: kubeconfigs.get(name)!, POD_IP: '127.0.0.1' };
    const r = await startReplica(stack, `${group}-${name}`, configs.get(name)!, args, env);
    replicas.set(name, r);
    return r;
  }

  beforeAll(async () => {
    setGitEnv(stack);
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    await kube.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    repo = await WorkRepo.create(stack, `e2e-sh-${id}`);
    await repo.commit(manifests(1), 'shards: round 1');
    const ca = readFileSync(stack.kube.caFile, 'utf8');
    for (const n of NAMES) {
      const proxy = await FaultProxy.start(stack.kube.server, { upstreamCa: ca });
      proxies.set(n, proxy);
      // client-node allows an http:// server only with insecure-skip-tls-verify (there is no TLS to verify).
      const kc = join(writeConfig({}), '..', 'kubeconfig');
      writeFileSync(
        kc,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'proxy', cluster: { server: proxy.url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'admin', user: { token: stack.kube.token } }],
          contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'admin' } }],
          'current-context': 'proxy',
        }),
      );
      kubeconfigs.set(n, kc);
      configs.set(
        n,
        writeConfig({
          apiVersion: 'gitops-seal.io/v1alpha1',
          kind: 'DaemonConfig',
          spec: {
            sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
            syncs: Array.from({ length: SYNCS }, (_, i) => ({
              name: syncName(i),
              source: 'repo',
              path: `apps/s${i}`,
              kubeconfig: { file: kc },
            })),
          },
        }),
      );
    }
    await Promise.all(NAMES.map((n) => start(n)));
  }, 120_000);

  printLogsOnFailure(() => [...replicas.values()]);

  afterAll(async () => {
    await stopReplicas([...replicas.values()]);
    for (const p of proxies.values()) await p.down();
    await kube?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    const leases = await kube
      ?.request<{ items: { metadata: { name: string } }[] }>('/apis/coordination.k8s.io/v1/namespaces/default/leases', {
        query: { labelSelector: `gitops-seal.io/lease-group=${group}` },
      })
      .catch(() => ({ items: [] }));
    for (const l of leases?.items ?? [])
      await kube
        .request(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${l.metadata.name}`, { method: 'DELETE' })
        .catch(() => undefined);
    kube?.close();
    repo?.remove();
  });

  const rounds = async (): Promise<string[]> => {
    const list = await kube.request<{ items: { metadata: { name: string }; data?: { round?: string } }[] }>(
      `/api/v1/namespaces/${ns}/configmaps`,
    );
    const byName = new Map(list.items.map((c) => [c.metadata.name, c.data?.round ?? '']));
    return Array.from({ length: SYNCS }, (_, i) => byName.get(`s${i}`) ?? '');
  };
  const allAt = (round: number) => async () => ((await rounds()).every((r) => r === String(round)) ? true : undefined);
  /** shard → owner's short name, from each live replica's own view of the shards it owns. */
  const owners = async (names: readonly string[]): Promise<Map<number, string>> => {
    const m = new Map<number, string>();
    for (const n of names) for (const k of (await statusOf(replicas.get(n)!))?.sharding?.owned ?? []) m.set(k, n);
    return m;
  };
  const spread = async (names: readonly string[]): Promise<number[]> => {
    const all: number[] = [];
    for (const n of names) all.push((await statusOf(replicas.get(n)!))?.sharding?.owned.length ?? -1);
    return all;
  };
  /** Syncs per replica: the rows (each with its shard) counted against each replica's own owned shards. */
  const syncsPer = async (names: readonly string[]): Promise<number[]> => {
    const rows = (await statusOf(replicas.get(names[0]!)!))?.syncs ?? [];
    const per: number[] = [];
    for (const n of names) {
      const owned = new Set((await statusOf(replicas.get(n)!))?.sharding?.owned ?? []);
      per.push(rows.filter((r) => r.shard !== undefined && owned.has(r.shard)).length);
    }
    return per;
  };
  /** The spread of shards and of syncs both at `want` (e.g. '4,4,4'), waited for. */
  const balanced = async (what: string, names: readonly string[], want: string, ms: number): Promise<void> => {
    await eventually(what, async () => ((await spread(names)).join() === want ? true : undefined), ms, 250);
    // Syncs follow at once: each replica's view of its own shards and the rows' shards (the map) are both current.
    await eventually(`${what} syncs`, async () => ((await syncsPer(names)).join() === want ? true : undefined), 30_000, 250);
  };

  it('spreads 12 shards and 12 syncs 4/4/4 and applies every sync once', async () => {
    await balanced('4/4/4', NAMES, '4,4,4', 60_000);
    await eventually('round 1 everywhere', allAt(1), 60_000, 250);
    // a's view of the others catches up on its next look.
    const st = await eventually(
      "a's view of the group",
      async () => {
        const s = await statusOf(replicas.get('a')!);
        // The rows' owners come from the fleet roster (one LIST reused for 1 s), the members from
        // the coordinator's own looks: right after a handover the roster may still show a shard
        // between its releaser and its taker (owner ""). Wait for both to have settled.
        const settled = s?.syncs.every((r) => (r.owner ?? '') !== '');
        return settled && s?.sharding?.members.map((m) => m.owned.length).join() === '4,4,4' ? s : undefined;
      },
      10_000,
      250,
    );
    // Each sync's row names its shard and owner; the owner holds that shard; one sync per shard.
    const own = await owners(NAMES);
    for (const s of st.syncs) expect(s.owner).toBe(`${group}-${own.get(s.shard!)}`);
    expect(new Set(st.syncs.map((s) => s.shard)).size).toBe(SYNCS);
    expect(NAMES.map((n) => st.syncs.filter((s) => s.owner === `${group}-${n}`).length)).toEqual([4, 4, 4]);
    // Exactly one replica is "the leader" (owner of shard 0: the singletons).
    const leaders = await Promise.all(NAMES.map(async (n) => (await statusOf(replicas.get(n)!))?.leader));
    expect(leaders.filter((l) => l === true)).toHaveLength(1);
  }, 90_000);

  it('SIGKILL one replica: its syncs are owned elsewhere and a new commit reaches each (15 s target: bench:shards)', async () => {
    const before = await owners(NAMES);
    signal(replicas.get('c')!, 'SIGKILL');
    const t0 = Date.now();
    await exitOf(replicas.get('c')!);
    replicas.delete('c');
    await repo.commit(manifests(2), 'shards: round 2');
    await eventually('round 2 everywhere', allAt(2), 30_000, 100);
    const failoverMs = Date.now() - t0;
    console.log(`[shards] SIGKILL → a new commit applied to all 12 syncs (4 of them moved) in ${failoverMs} ms`);
    // The 15 s is a benchmark figure (bench:shards: 11.1 s on the merged tree; here 9.8–12.4 s
    // over 10 runs at load ~2). The test proves the failover happens within one lease (10 s) and a
    // generous margin for a loaded CI machine, not the figure: a timed bound this close flaked.
    expect(failoverMs).toBeLessThan(25_000);
    await balanced('6/6', ['a', 'b'], '6,6', 15_000);
    // The survivors keep every shard of theirs: the assignment is sticky (daemon/shard/assign.ts)
    // and their quota only grew (4 → 6), in every view either of them may have had meanwhile.
    const after = await owners(['a', 'b']);
    const survivorMoved = [...before].filter(([k, n]) => n !== 'c' && after.get(k) !== n).length;
    console.log(`[shards] survivor shards moved on SIGKILL: ${survivorMoved}`);
    expect(survivorMoved).toBe(0);
  }, 90_000);

  it('start it again: exactly its share moves back (4 of 12), and a peer-owned sync updates on an open page', async () => {
    const two = await owners(['a', 'b']);
    await start('c');
    await balanced('4/4/4 again', NAMES, '4,4,4', 60_000);
    const three = await owners(NAMES);
    const moved = [...three].filter(([k, n]) => two.get(k) !== n).length;
    console.log(`[shards] rejoin moved ${moved} of ${SYNCS} shards`);
    // Exactly its share: a and b each hand back 2 of their 6 (the sticky assignment keeps the
    // rest), and while one of them has not seen c yet its view gives the released shards to the
    // other, never to itself. Only a member missing its renewals for a whole lease could change
    // that, and such a member loses its shards and exits (the test fails on that first).
    expect(moved).toBe(4);
    expect([...three].filter(([k, n]) => two.get(k) !== n).every(([, n]) => n === 'c')).toBe(true);
    // a's open web page shows a sync b owns at round 3: the fleet's rows through a's page, across
    // processes. b's apply is no event on a's bus; the page's fleet refresh (daemon/ui/sse.ts)
    // brings it. (Here a's own 1 s fetches also rebuild its page, so this passes without the
    // refresh too — daemon/ui/fleet-refresh.test.ts is the test that tells them apart.)
    const page = await openEventStream(`${replicas.get('a')!.url}/ui/events`);
    try {
      const bOwns = (await statusOf(replicas.get('a')!))?.syncs.find((r) => r.owner === `${group}-b`)?.name;
      expect(bOwns).toBeDefined();
      const commit = await repo.commit(manifests(3), 'shards: round 3');
      await eventually('round 3 everywhere', allAt(3), 30_000, 100);
      const t0 = Date.now();
      await eventually(
        "round 3 of b's sync on a's open page",
        async () =>
          page.models<OverviewModel>().some((m) => m.syncs.find((r) => r.name === bOwns)?.revision?.includes(commit)) ? true : undefined,
        30_000,
        250,
      );
      console.log(`[shards] b's sync at round 3 on a's open page ${Date.now() - t0} ms after all 12 ConfigMaps were`);
    } finally {
      page.stop();
    }
  }, 90_000);

  it('SIGSTOP one past its lease, then SIGCONT: it writes nothing and exits 1', async () => {
    const b = replicas.get('b')!;
    const before = await owners(NAMES);
    signal(b, 'SIGSTOP');
    // Past the lease (10 s) and the others' next look: they take b's shards and apply round 4.
    await repo.commit(manifests(4), 'shards: round 4');
    await eventually('6/6 without b', async () => ((await spread(['a', 'c'])).join() === '6,6' ? true : undefined), 30_000, 250);
    await eventually('round 4 everywhere', allAt(4), 30_000, 100);
    // a and c kept theirs and took b's.
    const after = await owners(['a', 'c']);
    expect([...before].filter(([k, n]) => n !== 'b' && after.get(k) !== n)).toEqual([]);
    const mark = proxies.get('b')!.requests.length;
    signal(b, 'SIGCONT');
    const exit = await exitOf(b);
    replicas.delete('b');
    expect(exit.code).toBe(1);
    expect(writesOf('b', mark)).toEqual([]);
    expect(await rounds()).toEqual(new Array(SYNCS).fill('4'));
  }, 90_000);
});
