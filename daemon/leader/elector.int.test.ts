// LeaderElector against the real kube-apiserver of the stack: exactly one of several replicas
// leads, a release hands over at once, a replica that sees another holder in its Lease stops
// at once, and 409s keep concurrent takeovers to one winner. Short timings (2 s lease) keep it fast.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { createLogger } from '../log.js';
import { eventually } from '../../test/e2e/harness.js';
import { LeaderElector } from './elector.js';
import { LeaseStore } from './lease-store.js';
import { leaderElectionOptions } from './options.js';
import { LeaseConflictError } from './errors.js';

const stack = inject('stack');
const log = createLogger({ level: 'silent' });
const NS = 'default';

interface Replica {
  elector: LeaderElector;
  events: string[];
  /** performance.now() of each event. */
  times: number[];
}

/** A TCP pass-through to the apiserver (TLS stays end to end) that can be cut: a network partition. */
async function partitionable(target: URL): Promise<{ url: string; cut: () => void; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const cut = (): void => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  return { url: `https://127.0.0.1:${port}`, cut, close: cut };
}

describe('LeaderElector on a real Lease', () => {
  let kube: KubeClient;
  const electors: LeaderElector[] = [];
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  });

  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    kube?.close();
  });

  function replica(lease: string, identity: string, client: KubeClient = kube): Replica {
    const events: string[] = [];
    const times: number[] = [];
    const opts = leaderElectionOptions({
      namespace: NS,
      name: lease,
      identity,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 250,
    });
    const elector = new LeaderElector(new LeaseStore(client, { namespace: NS, name: lease }), opts, log, {
      onStartedLeading: () => {
        times.push(performance.now());
        events.push('started');
      },
      onStoppedLeading: (reason) => {
        times.push(performance.now());
        events.push(`stopped: ${reason}`);
      },
    });
    electors.push(elector);
    return { elector, events, times };
  }

  const leaseSpec = async (name: string) =>
    (
      await kube.request<{ spec: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`,
      )
    ).spec;

  it('three replicas racing for a missing Lease: exactly one leads, the others follow it', async () => {
    const name = `elect-race-${suffix}`;
    const rs = ['a', 'b', 'c'].map((id) => replica(name, id));
    for (const r of rs) r.elector.start();
    const leader = await eventually('a leader', async () => rs.find((r) => r.elector.isLeader));
    // Several renewals later there is still one leader, the same one, and everyone agrees on it.
    const spec0 = await leaseSpec(name);
    await eventually('a few renewals', async () => (await leaseSpec(name)).renewTime !== spec0.renewTime, 5_000, 100);
    await eventually('followers saw the holder', async () => rs.every((r) => r.elector.holder === leader.elector.opts.identity));
    expect(rs.filter((r) => r.elector.isLeader)).toEqual([leader]);
    expect(rs.flatMap((r) => r.events)).toEqual(['started']);
    const spec = await leaseSpec(name);
    expect(spec.holderIdentity).toBe(leader.elector.opts.identity);
    expect(spec.leaseTransitions).toBe(0);
    expect(spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('a released Lease is taken over at once, not after the lease duration', async () => {
    const name = `elect-release-${suffix}`;
    const a = replica(name, 'a');
    a.elector.start();
    await eventually('a leads', async () => a.elector.isLeader);
    const b = replica(name, 'b');
    b.elector.start();
    await eventually('b follows a', async () => b.elector.holder === 'a');
    const t0 = performance.now();
    await a.elector.stop({ release: true });
    expect(a.events).toEqual(['started']); // a voluntary release is not a loss
    await eventually('b leads', async () => b.elector.isLeader, 5_000, 20);
    // Well under the 2 s lease: b acted on the empty holder at its next try (retry 250 ms + jitter).
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(await leaseSpec(name)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that finds another holder in its Lease stops at once and ends its loop', async () => {
    const name = `elect-steal-${suffix}`;
    const a = replica(name, 'a');
    a.elector.start();
    await eventually('a leads', async () => a.elector.isLeader);
    // Someone else writes the Lease (a replica that judged it expired, e.g. after a network split).
    const store = new LeaseStore(kube, { namespace: NS, name });
    const cur = await store.get(5_000);
    if (!cur) throw new Error('lease missing');
    await store.update(
      { ...cur.record, holderIdentity: 'intruder', leaseTransitions: cur.record.leaseTransitions + 1 },
      cur.resourceVersion,
      5_000,
    );
    await eventually('a stopped leading', async () => !a.elector.isLeader, 3_000, 20);
    expect(a.events).toEqual(['started', expect.stringMatching(/^stopped: another replica holds the lease \(intruder\)/)]);
    await a.elector.done;
    expect((await leaseSpec(name)).holderIdentity).toBe('intruder');
  });

  it('a leader cut off from the apiserver stops at its renew deadline, before anyone may take over', async () => {
    const name = `elect-partition-${suffix}`;
    const proxy = await partitionable(new URL(stack.kube.server));
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-partition-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(stack.kube.kubeconfig, 'utf8').split(stack.kube.server).join(proxy.url));
    const cutOff = await KubeClient.load({ kubeconfig }, { timeoutMs: 1_000 });
    try {
      const a = replica(name, 'a', cutOff);
      a.elector.start();
      await eventually('a leads', async () => a.elector.isLeader);
      const b = replica(name, 'b');
      b.elector.start();
      await eventually('b follows a', async () => b.elector.holder === 'a');
      const t0 = performance.now();
      proxy.cut();
      // a's last renewal that got through, as a wrote it (wall clock, microseconds; same machine).
      const lastRenew = Date.parse((await leaseSpec(name)).renewTime ?? '');
      await eventually('a stopped leading', async () => !a.elector.isLeader, 5_000, 20);
      await eventually('b leads', async () => b.elector.isLeader, 5_000, 20);
      expect(a.events).toEqual(['started', `stopped: could not renew the lease for 1500 ms`]);
      const [aStopped = 0] = a.times.slice(1);
      const [bStarted = 0] = b.times;
      // a stopped 1.5 s after its last renewal, whatever its hanging requests do, and before b
      // started: never two leaders. The last renewal may precede the cut by a retry period or,
      // on a loaded machine, more: measure from the renewal itself (ms precision of Date.parse).
      expect(performance.timeOrigin + aStopped - lastRenew).toBeGreaterThanOrEqual(1_500 - 5);
      expect(aStopped - t0).toBeLessThan(1_500 + 1_000);
      expect(aStopped).toBeLessThan(bStarted);
      await a.elector.done;
    } finally {
      proxy.close();
      cutOff.close();
    }
  });

  it('an update with a stale resourceVersion loses with LeaseConflictError (optimistic concurrency)', async () => {
    const name = `elect-conflict-${suffix}`;
    const store = new LeaseStore(kube, { namespace: NS, name });
    const created = await store.create({ holderIdentity: 'x', leaseDurationSeconds: 2, leaseTransitions: 0 }, 5_000);
    await store.update({ ...created.record, holderIdentity: 'y' }, created.resourceVersion, 5_000);
    const err = await store.update({ ...created.record, holderIdentity: 'z' }, created.resourceVersion, 5_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseConflictError);
    const again = await store.create({ holderIdentity: 'z', leaseDurationSeconds: 2, leaseTransitions: 0 }, 5_000).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(LeaseConflictError);
    expect((await store.get(5_000))?.record.holderIdentity).toBe('y');
  });
});
