import { describe, expect, it } from 'vitest';
import { microTime, type LeaseRecord } from '../leader/index.js';
import { decideShards } from './assign.js';
import { heldAt, Observations } from './liveness.js';

const rec = (holder: string, renewWall: number): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 10,
  renewTime: microTime(renewWall),
  leaseTransitions: 0,
});
const HOUR = 3_600_000;

describe('member liveness under skewed clocks', () => {
  it("judges expiry on the observer's monotonic clock from the last change, whatever the writer's wall clock says", () => {
    const obs = new Observations();
    const wall = Date.parse('2026-12-06T12:00:00Z');
    // "ahead" writes renewTimes an hour in the future, "behind" an hour in the past: both renew every 2 s.
    for (let t = 0; t <= 20_000; t += 2000) {
      obs.update(
        new Map([
          ['m-ahead', rec('ahead', wall + HOUR + t)],
          ['m-behind', rec('behind', wall - HOUR + t)],
          ['m-dead', rec('dead', wall)], // stopped renewing at t = 0
        ]),
        t,
      );
      expect(heldAt(obs.get('m-ahead')!, t)).toBe(true);
      expect(heldAt(obs.get('m-behind')!, t)).toBe(true);
      expect(heldAt(obs.get('m-dead')!, t)).toBe(t < 10_000);
    }
  });

  it('a record first seen long after its renewTime still gets a full lease from the first look (no trust in remote clocks)', () => {
    const obs = new Observations();
    obs.update(new Map([['m', rec('x', 0)]]), 50_000);
    expect(heldAt(obs.get('m')!, 59_999)).toBe(true);
    expect(heldAt(obs.get('m')!, 60_000)).toBe(false);
  });

  it('a released member ("" holder) is not alive; a Lease no longer listed is forgotten', () => {
    const obs = new Observations();
    obs.update(new Map([['m', rec('', 0)]]), 0);
    expect(heldAt(obs.get('m')!, 1)).toBe(false);
    obs.update(new Map(), 1);
    expect(obs.get('m')).toBeUndefined();
  });

  it('skewed clocks do not make two members decide to hold the same shard', () => {
    // Both replicas see the same live set (liveness ignores wall time), so their targets agree.
    const members = ['ahead', 'behind', 'on-time'];
    const views = Array.from({ length: 12 }, (_, k) => ({ shard: k, holder: '', expired: false }));
    const wants = members.map((m) => new Set(decideShards(m, 12, members, views, new Set()).acquire));
    for (let k = 0; k < 12; k++) expect(wants.filter((w) => w.has(k)).length).toBe(1);
  });
});
