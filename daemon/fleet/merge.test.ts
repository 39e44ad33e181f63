import { describe, expect, it } from 'vitest';
import { mergeFleet, type PeerAnswer } from './merge.js';
import type { Roster } from './roster.js';
import { ShardMap } from './shard-of.js';
import type { FleetStatus, FleetSyncStatus } from './types.js';

const row = (name: string, rev?: string): FleetSyncStatus => ({
  name,
  source: 'repo',
  objects: rev ? 1 : 0,
  driftCorrections: 0,
  ready: rev !== undefined,
  ...(rev ? { appliedRevision: rev } : {}),
});
const doc = (identity: string, syncs: FleetSyncStatus[], extra: Partial<FleetStatus> = {}): FleetStatus => ({
  startedAt: '2026-01-01T00:00:00Z',
  leader: true,
  sources: [],
  syncs,
  images: [],
  imageUpdates: [],
  registries: {},
  sharding: { identity, group: 'g', shards: 3, owned: [], members: [] },
  ...extra,
});

// Three syncs on 3 shards: the map puts one on each; named by their shard.
const map = new ShardMap(['s0', 's1', 's2'], 3);
const shardOfSync = (name: string): number => map.shardOf(name);
const [mine, theirs, orphan] = [0, 1, 2].map((k) => ['s0', 's1', 's2'].find((n) => map.shardOf(n) === k)!) as [string, string, string];

const roster = (members: [string, string | undefined, boolean][], holders: string[]): Roster => ({
  members: new Map(members.map(([identity, address, live]) => [identity, { identity, ...(address ? { address } : {}), live }])),
  holders: new Map(holders.map((h, k) => [k, h])),
  at: 0,
});

describe('mergeFleet', () => {
  const local = doc('a', [row(mine, 'A1'), row(theirs, 'old'), row(orphan)]);

  it('takes each sync from its owner, tags shard and owner, and marks the rest stale with the reason', () => {
    const answers = new Map<string, PeerAnswer>([['b', { doc: doc('b', [row(mine), row(theirs, 'B1'), row(orphan)]) }]]);
    const out = mergeFleet({
      local,
      self: 'a',
      shardOfSync,
      roster: roster(
        [
          ['a', 'http://a', true],
          ['b', 'http://b', true],
        ],
        ['a', 'b', ''],
      ),
      answers,
    });
    expect(out.syncs.map((s) => [s.name, s.appliedRevision, s.shard, s.owner, s.stale])).toEqual([
      [mine, 'A1', 0, 'a', undefined],
      [theirs, 'B1', 1, 'b', undefined],
      [orphan, undefined, 2, '', true],
    ]);
    expect(out.syncs[2]?.staleReason).toBe('shard 2 has no owner right now');
    expect(out.fleet?.replicas).toEqual([
      { identity: 'a', address: 'http://a', live: true, answered: true },
      { identity: 'b', address: 'http://b', live: true, answered: true },
    ]);
  });

  it("an owner that did not answer: its syncs are this replica's rows, stale with the peer error", () => {
    const answers = new Map<string, PeerAnswer>([['b', { error: 'replica "b" at http://b: no answer within 2000 ms' }]]);
    const out = mergeFleet({
      local,
      self: 'a',
      shardOfSync,
      roster: roster(
        [
          ['a', 'http://a', true],
          ['b', 'http://b', true],
        ],
        ['a', 'b', 'a'],
      ),
      answers,
    });
    const t = out.syncs.find((s) => s.name === theirs);
    expect(t).toMatchObject({
      appliedRevision: 'old',
      owner: 'b',
      stale: true,
      staleReason: 'replica "b" at http://b: no answer within 2000 ms',
    });
    expect(out.fleet?.replicas.find((r) => r.identity === 'b')).toMatchObject({
      answered: false,
      error: expect.stringContaining('no answer'),
    });
  });

  it('an owner whose member Lease expired or that advertises no address is not asked; the reason says which', () => {
    const r1 = mergeFleet({
      local,
      self: 'a',
      shardOfSync,
      roster: roster([['b', 'http://b', false]], ['a', 'b', 'a']),
      answers: new Map(),
    });
    expect(r1.syncs.find((s) => s.name === theirs)?.staleReason).toBe('owner "b" of shard 1 stopped renewing its member Lease');
    const r2 = mergeFleet({ local, self: 'a', shardOfSync, roster: roster([['b', undefined, true]], ['a', 'b', 'a']), answers: new Map() });
    expect(r2.syncs.find((s) => s.name === theirs)?.staleReason).toMatch(/advertises no address/);
  });

  it('a peer that reports no such sync, or marked its own row stale: never passed on as current', () => {
    const answers = new Map<string, PeerAnswer>([['b', { doc: doc('b', [row(mine)]) }]]);
    const out = mergeFleet({ local, self: 'a', shardOfSync, roster: roster([['b', 'http://b', true]], ['a', 'b', 'b']), answers });
    expect(out.syncs.find((s) => s.name === theirs)?.staleReason).toMatch(/reports no sync/);
    // A peer's stale flags describe its own view of other owners: the owner's row is current.
    const own = { ...row(orphan, 'B2'), stale: true as const, staleReason: 'x' };
    const out2 = mergeFleet({
      local,
      self: 'a',
      shardOfSync,
      roster: roster([['b', 'http://b', true]], ['a', 'b', 'b']),
      answers: new Map([['b', { doc: doc('b', [row(theirs, 'B1'), own]) }]]),
    });
    expect(out2.syncs.find((s) => s.name === orphan)).toMatchObject({ appliedRevision: 'B2', owner: 'b' });
    expect(out2.syncs.find((s) => s.name === orphan)?.stale).toBeUndefined();
  });

  it("places each sync by the owners' map it is given, not by plain hashing", () => {
    // A map that puts every sync on shard 1 (b's): all rows come from b's answer.
    const answers = new Map<string, PeerAnswer>([['b', { doc: doc('b', [row(mine, 'B0'), row(theirs, 'B1'), row(orphan, 'B2')]) }]]);
    const out = mergeFleet({
      local,
      self: 'a',
      shardOfSync: () => 1,
      roster: roster([['b', 'http://b', true]], ['a', 'b', '']),
      answers,
    });
    expect(out.syncs.map((s) => [s.appliedRevision, s.shard, s.owner, s.stale])).toEqual([
      ['B0', 1, 'b', undefined],
      ['B1', 1, 'b', undefined],
      ['B2', 1, 'b', undefined],
    ]);
  });

  it('sources and automations: the row that moved last; registry counters summed', () => {
    const src = (lastFetchAt: string, commit: string) => ({ name: 'repo', url: 'u', fetches: 1, skippedFetches: 0, lastFetchAt, commit });
    const reg = { 'r.io': { requests: 2, retries: 1, rateLimited: 0, errors: 0 } };
    const l = doc('a', local.syncs, { sources: [src('2026-01-01T00:00:01Z', 'c1')], registries: reg });
    const answers = new Map<string, PeerAnswer>([
      ['b', { doc: doc('b', [], { sources: [src('2026-01-01T00:00:09Z', 'c2')], registries: reg }) }],
    ]);
    const out = mergeFleet({ local: l, self: 'a', shardOfSync, roster: roster([['b', 'http://b', true]], ['a', 'b', 'b']), answers });
    expect(out.sources.map((s) => s.commit)).toEqual(['c2']);
    expect(out.registries['r.io']).toEqual({ requests: 4, retries: 2, rateLimited: 0, errors: 0 });
  });
});
