import { describe, expect, it } from 'vitest';
import type { Observed } from '../leader/index.js';
import { rosterOf } from './roster.js';

const member = (identity: string, renewTime: string, address?: string, holder = identity) => ({
  apiVersion: 'coordination.k8s.io/v1' as const,
  kind: 'Lease' as const,
  metadata: {
    name: `g-member-${identity}`,
    namespace: 'ns',
    labels: { 'gitops-seal.io/lease-role': 'member' },
    annotations: { 'gitops-seal.io/identity': identity, ...(address ? { 'gitops-seal.io/address': address } : {}) },
  },
  spec: { holderIdentity: holder, leaseDurationSeconds: 10, renewTime },
});
const shard = (k: number, holder: string) => ({
  apiVersion: 'coordination.k8s.io/v1' as const,
  kind: 'Lease' as const,
  metadata: { name: `g-shard-${k}`, namespace: 'ns', labels: { 'gitops-seal.io/lease-role': 'shard', 'gitops-seal.io/shard': String(k) } },
  spec: { holderIdentity: holder, leaseDurationSeconds: 10 },
});

describe('rosterOf', () => {
  it('reads members with addresses and shard holders', () => {
    const r = rosterOf([member('a', 't1', 'http://a:1'), member('b', 't1'), shard(0, 'a'), shard(1, ''), shard(2, 'b')], 0, new Map());
    expect([...r.members.values()]).toEqual([
      { identity: 'a', address: 'http://a:1', live: true },
      { identity: 'b', live: true },
    ]);
    expect([...r.holders]).toEqual([
      [0, 'a'],
      [1, ''],
      [2, 'b'],
    ]);
  });

  it('judges liveness on the observer clock: expired leaseDuration after the record last changed, whatever renewTime says', () => {
    const seen = new Map<string, Observed>();
    // A renewTime far in the future (a skewed clock) does not keep a member alive.
    rosterOf([member('a', '2999-01-01T00:00:00.000000Z'), member('b', 't1')], 1000, seen);
    const later = rosterOf([member('a', '2999-01-01T00:00:00.000000Z'), member('b', 't2')], 11_000, seen);
    expect(later.members.get('a')?.live).toBe(false);
    expect(later.members.get('b')?.live).toBe(true);
    // a renews: alive again from this observation.
    expect(rosterOf([member('a', 't3')], 11_100, seen).members.get('a')?.live).toBe(true);
  });

  it('a released member Lease (holder "") is not live; Leases that are gone are forgotten', () => {
    const seen = new Map<string, Observed>();
    const r = rosterOf([member('a', 't1', undefined, '')], 0, seen);
    expect(r.members.get('a')?.live).toBe(false);
    rosterOf([], 1, seen);
    expect(seen.size).toBe(0);
  });
});
