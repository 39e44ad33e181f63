// The fleet view and request forwarding of issue 21 on the real stack's apiserver: three
// replicas' endpoints (the daemon's own routes on real HTTP listeners), the shard group's Leases
// written as the contract says (test/support/shard-leases.ts), no shard core needed. Checks that
// any replica's /status is the whole fleet's, that a GitHub-signed hook and a reconcile request
// reach the owning replica (its signature verified there too), and that an unknown or
// unreachable owner gives stale rows and 503 + Retry-After, never an error page or a hang.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventBus } from '../events/index.js';
import { startHttpServer, type HttpServer } from '../http/index.js';
import { KubeClient } from '../kube/client.js';
import { reconcileRoutes } from '../runtime/triggers.js';
import type { Revision } from '../source/index.js';
import { StatusStore, statusRoutes } from '../status/index.js';
import { hookRoutes } from '../webhook/routes.js';
import { runCaptured } from '../../test/support/cli-capture.js';
import { silentServer } from '../../test/support/notify-receiver.js';
import { deleteGroupLeases, writeMemberLease, writeShardLease } from '../../test/support/shard-leases.js';
import { Fleet, FORWARDED_BY_HEADER, ShardMap, type FleetStatus } from './index.js';

const stack = inject('stack');
const NS = 'default';
const GROUP = `fleet-${Date.now().toString(36)}`;
const SHARDS = 3;
const SYNCS = Array.from({ length: 9 }, (_, i) => `app-${i}`);
const REV: Revision = {
  commit: 'c'.repeat(40),
  ref: 'refs/heads/main',
  listFiles: async () => [],
  readFile: async () => new Uint8Array(),
  readFiles: async () => [],
};

interface Replica {
  id: string;
  srv: HttpServer;
  fleet: Fleet;
  secret: string;
  hooks: number;
  reconciles: string[];
}

let kube: KubeClient;
const replicas = new Map<string, Replica>();
const holderOf = (k: number): string => ['a', 'b', 'c'][k]!;
// Every replica's work builds this map from the configuration's syncs (3 each on 3 shards).
const MAP = new ShardMap(SYNCS, SHARDS);
const ownerOfSync = (name: string): string => holderOf(MAP.shardOf(name));

async function startReplica(id: string): Promise<Replica> {
  const bus = new EventBus();
  const store = new StatusStore({ syncs: SYNCS.map((name) => ({ name, source: 'repo' })) });
  store.follow(bus);
  // What this replica applied: only its own syncs, at a revision that names it.
  for (const sync of SYNCS.filter((s) => ownerOfSync(s) === id))
    bus.publish({
      type: 'sync.applied',
      sync,
      revision: `rev-${id}`,
      at: new Date().toISOString(),
      objects: 1,
      changes: { created: 1, configured: 0, unchanged: 0, deleted: 0, skipped: 0 },
      pruned: 0,
      decryptedFiles: 0,
      warnings: [],
      durationMs: 1,
    });
  const owned = [0, 1, 2].filter((k) => holderOf(k) === id);
  const local = (): FleetStatus => {
    const snap = store.snapshot();
    return {
      ...snap,
      sharding: { identity: id, group: GROUP, shards: SHARDS, owned, members: [] },
      syncs: snap.syncs.map((s) => ({ ...s, shard: MAP.shardOf(s.name), owner: ownerOfSync(s.name) })),
    };
  };
  const fleet = new Fleet({
    kube,
    namespace: NS,
    group: GROUP,
    identity: id,
    local,
    shardOfSync: (name) => MAP.shardOf(name),
    peerTimeoutMs: 1000,
    refreshMs: 0,
    retryAfterSeconds: 7,
  });
  const r: Replica = { id, fleet, secret: 'hook-secret', hooks: 0, reconciles: [], srv: undefined as unknown as HttpServer };
  const syncs = new Map(SYNCS.map((name) => [name, { spec: { source: 'repo' }, reconcile: async () => void r.reconciles.push(name) }]));
  const sources = new Map([['repo', { lastRevision: REV, trigger: async () => undefined }]]);
  const hooks = new Map([['repo', { type: 'github' as const, secret: async () => r.secret, trigger: () => void r.hooks++, syncs: SYNCS }]]);
  r.srv = await startHttpServer('127.0.0.1:0', [
    statusRoutes(store, fleet),
    hookRoutes(hooks, fleet),
    reconcileRoutes({ sources, syncs }, (_w, fn) => fn(), fleet),
  ]);
  return r;
}

const rep = (id: string): Replica => replicas.get(id)!;
const resetCounts = (): void => {
  for (const r of replicas.values()) {
    r.hooks = 0;
    r.reconciles = [];
  }
};
const BODY = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40), repository: { full_name: 'team/repo' } });
const githubHeaders = (secret: string): Record<string, string> => ({
  'content-type': 'application/json',
  'x-github-event': 'push',
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(BODY).digest('hex')}`,
});
const hook = (to: string, secret = 'hook-secret', extra: Record<string, string> = {}): Promise<Response> =>
  fetch(`${rep(to).srv.url}/hooks/repo`, { method: 'POST', headers: { ...githubHeaders(secret), ...extra }, body: BODY });
const status = async (to: string, query = ''): Promise<FleetStatus> =>
  (await (await fetch(`${rep(to).srv.url}/status${query}`)).json()) as FleetStatus;

beforeAll(async () => {
  kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  for (const id of ['a', 'b', 'c']) replicas.set(id, await startReplica(id));
  for (const r of replicas.values()) await writeMemberLease(kube, NS, GROUP, r.id, { address: r.srv.url });
  for (let k = 0; k < SHARDS; k++) await writeShardLease(kube, NS, GROUP, k, holderOf(k));
  // Every shard must own something for the test to mean anything.
  expect(new Set(SYNCS.map(ownerOfSync))).toEqual(new Set(['a', 'b', 'c']));
});

afterAll(async () => {
  for (const r of replicas.values()) await r.srv.close();
  await deleteGroupLeases(kube, NS, GROUP);
  kube?.close();
});

describe('fleet /status', () => {
  it('any replica answers with every sync from its owner; ?scope=local is its own view', async () => {
    for (const id of ['a', 'b', 'c']) {
      const doc = await status(id);
      expect(doc.syncs.map((s) => [s.name, s.appliedRevision, s.owner, s.stale])).toEqual(
        SYNCS.map((n) => [n, `rev-${ownerOfSync(n)}`, ownerOfSync(n), undefined]),
      );
      expect(doc.fleet?.mergedBy).toBe(id);
      expect(doc.fleet?.replicas.map((r) => [r.identity, r.answered, r.live])).toEqual([
        ['a', true, true],
        ['b', true, true],
        ['c', true, true],
      ]);
      const local = await status(id, '?scope=local');
      expect(local.fleet).toBeUndefined();
      expect(local.syncs.filter((s) => s.appliedRevision).map((s) => s.name)).toEqual(SYNCS.filter((n) => ownerOfSync(n) === id));
    }
  });

  it('gitops-seal status on any replica shows the fleet with the owning replica per sync', async () => {
    const res = await runCaptured(['status', '--url', rep('b').srv.url]);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^fleet view from replica "b" \(owns 1 of 3 shards\): 3 of 3 replicas answered, 3 live/);
    for (const n of SYNCS) expect(res.out).toMatch(new RegExp(`^${n} .* ${ownerOfSync(n)}$`, 'm'));
  });
});

describe('webhook and reconcile forwarding', () => {
  it("a GitHub-signed hook on any replica reaches every owner of the source's syncs once, verified at each", async () => {
    resetCounts();
    const res = await hook('b');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, forwardedTo: ['a', 'c'] });
    expect([rep('a').hooks, rep('b').hooks, rep('c').hooks]).toEqual([1, 1, 1]);
  });

  it('a bad signature is refused where it lands and sent nowhere', async () => {
    resetCounts();
    expect((await hook('a', 'wrong-secret')).status).toBe(401);
    expect([rep('a').hooks, rep('b').hooks, rep('c').hooks]).toEqual([0, 0, 0]);
  });

  it('the owner verifies the signature again: an owner with another secret refuses, the sender gets 503 + Retry-After', async () => {
    resetCounts();
    rep('c').secret = 'rotated-on-c-only';
    try {
      const res = await hook('a');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect([rep('a').hooks, rep('b').hooks, rep('c').hooks]).toEqual([1, 1, 0]);
    } finally {
      rep('c').secret = 'hook-secret';
    }
  });

  it('POST /reconcile/<sync> runs on the owner only; a request already forwarded is never sent on', async () => {
    resetCounts();
    const onC = SYNCS.find((n) => ownerOfSync(n) === 'c')!;
    const res = await fetch(`${rep('a').srv.url}/reconcile/${onC}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, forwardedTo: ['c'] });
    expect([rep('a').reconciles, rep('c').reconciles]).toEqual([[], [onC]]);
    // Carrying the loop guard: handled where it lands.
    const again = await fetch(`${rep('a').srv.url}/reconcile/${onC}`, { method: 'POST', headers: { [FORWARDED_BY_HEADER]: 'b' } });
    expect(await again.json()).toEqual({ accepted: true });
    expect([rep('a').reconciles, rep('c').reconciles]).toEqual([[onC], [onC]]);
    expect((await fetch(`${rep('a').srv.url}/reconcile/no-such-sync`, { method: 'POST' })).status).toBe(404);
  });
});

describe('owner unknown or unreachable', () => {
  it('a released shard: its syncs stale with the reason, hooks and reconciles 503 + Retry-After', async () => {
    resetCounts();
    await writeShardLease(kube, NS, GROUP, 2, '');
    try {
      const doc = await status('a');
      const onShard2 = doc.syncs.filter((s) => s.shard === 2);
      expect(onShard2.length).toBeGreaterThan(0);
      for (const s of onShard2) expect(s).toMatchObject({ owner: '', stale: true, staleReason: 'shard 2 has no owner right now' });
      expect(doc.syncs.filter((s) => s.stale).length).toBe(onShard2.length);
      const res = await hook('a');
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '7']);
      const r2 = await fetch(`${rep('a').srv.url}/reconcile/${onShard2[0]!.name}`, { method: 'POST' });
      expect(r2.status).toBe(503);
      expect(rep('a').reconciles).toEqual([]);
    } finally {
      await writeShardLease(kube, NS, GROUP, 2, 'c');
    }
  });

  it('an owner that accepts and never answers: /status still answers within the peer timeout, its rows stale', async () => {
    const silent = await silentServer();
    await writeMemberLease(kube, NS, GROUP, 'c', { address: silent.url });
    try {
      const t0 = performance.now();
      const doc = await status('b');
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(2500);
      const onC = doc.syncs.filter((s) => s.owner === 'c');
      for (const s of onC) expect(s).toMatchObject({ stale: true, staleReason: `replica "c" at ${silent.url}: no answer within 1000 ms` });
      expect(doc.syncs.filter((s) => s.owner === 'a').every((s) => s.appliedRevision === 'rev-a' && !s.stale)).toBe(true);
      const cli = await runCaptured(['status', '--url', rep('b').srv.url]);
      expect(cli.code).toBe(1);
      expect(cli.out).toMatch(/2 of 3 replicas answered/);
      expect(cli.out).toMatch(/Not current/);
      const res = await hook('b');
      expect(res.status).toBe(503);
    } finally {
      await writeMemberLease(kube, NS, GROUP, 'c', { address: rep('c').srv.url });
      await silent.close();
    }
  });

  it('a stopped owner (connection refused) and a peer answering as someone else are stale, named', async () => {
    await writeMemberLease(kube, NS, GROUP, 'c', { address: rep('a').srv.url });
    try {
      const doc = await status('b');
      expect(doc.syncs.find((s) => s.owner === 'c')?.staleReason).toBe(`replica "c" at ${rep('a').srv.url}: answered as "a"`);
    } finally {
      await writeMemberLease(kube, NS, GROUP, 'c', { address: rep('c').srv.url });
    }
    await writeMemberLease(kube, NS, GROUP, 'c', { address: 'http://127.0.0.1:1' });
    try {
      const doc = await status('b');
      expect(doc.syncs.find((s) => s.owner === 'c')?.staleReason).toMatch(/^replica "c" at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
    } finally {
      await writeMemberLease(kube, NS, GROUP, 'c', { address: rep('c').srv.url });
    }
  });
});
