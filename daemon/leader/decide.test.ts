import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, expiresAt, nextDelay, observe, releasedRecord, renewDeadlinePassed, type Clock, type Observed } from './decide.js';
import { microTime, type LeaseRecord } from './record.js';

const at = (mono: number, wall = 1_800_000_000_000 + mono): Clock => ({ mono, wall });
const held = (holder: string, renewWall: number, transitions = 3): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 10,
  acquireTime: microTime(1_800_000_000_000),
  renewTime: microTime(renewWall),
  leaseTransitions: transitions,
});

describe('decide', () => {
  it('creates a missing Lease with us as holder and 0 transitions', () => {
    const d = decide(undefined, 'a', 10_000, at(0));
    expect(d).toEqual({
      action: 'create',
      record: expect.objectContaining({ holderIdentity: 'a', leaseDurationSeconds: 10, leaseTransitions: 0 }),
    });
    if (d.action === 'create') expect(d.record.acquireTime).toBe(d.record.renewTime);
  });

  it('renews its own Lease: same acquireTime and transitions, new renewTime', () => {
    const rec = held('a', 1_800_000_001_000);
    const d = decide({ record: rec, at: 0 }, 'a', 10_000, at(5_000));
    expect(d.action).toBe('renew');
    if (d.action !== 'renew') return;
    expect(d.record).toEqual({ ...rec, renewTime: microTime(1_800_000_005_000) });
  });

  it('waits while another holder is valid, judged from when WE saw the record change', () => {
    // The renewTime written by the other machine says "long ago"; our observation is recent.
    const rec = held('b', 0);
    const o: Observed = { record: rec, at: 1_000 };
    expect(decide(o, 'a', 10_000, at(10_999))).toEqual({ action: 'wait', holder: 'b', expiresAt: 11_000 });
  });

  it('takes over an expired Lease and counts the transition', () => {
    const o: Observed = { record: held('b', 0, 7), at: 1_000 };
    const d = decide(o, 'a', 10_000, at(11_000));
    expect(d).toEqual({ action: 'acquire', record: expect.objectContaining({ holderIdentity: 'a', leaseTransitions: 8 }) });
  });

  it('takes a released Lease at once, however recent the release', () => {
    const o: Observed = { record: releasedRecord(held('b', 0, 2), 1_800_000_000_500), at: 500 };
    expect(o.record).toEqual(expect.objectContaining({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 }));
    expect(decide(o, 'a', 10_000, at(501))).toEqual({
      action: 'acquire',
      record: expect.objectContaining({ holderIdentity: 'a', leaseTransitions: 3 }),
    });
  });

  it("uses the holder's lease duration, not ours, to judge expiry", () => {
    const o: Observed = { record: { ...held('b', 0), leaseDurationSeconds: 30 }, at: 0 };
    expect(decide(o, 'a', 10_000, at(20_000)).action).toBe('wait');
    expect(decide(o, 'a', 10_000, at(30_000)).action).toBe('acquire');
  });
});

describe('observe', () => {
  it('keeps the first observation time while the record does not change', () => {
    const rec = held('b', 1);
    const first = observe(undefined, rec, 100);
    expect(observe(first, { ...rec }, 5_000)).toBe(first);
    expect(observe(first, { ...rec, renewTime: microTime(2) }, 5_000)).toEqual({
      record: expect.objectContaining({ renewTime: microTime(2) }),
      at: 5_000,
    });
    expect(expiresAt(first)).toBe(10_100);
  });
});

describe('microTime', () => {
  it('has exactly six fractional digits (Go RFC3339Micro)', () => {
    expect(microTime(Date.UTC(2026, 11, 2, 7, 0, 1, 23))).toBe('2026-12-02T07:00:01.023000Z');
  });
});

describe('renewDeadlinePassed', () => {
  it('is true from the deadline on', () => {
    expect(renewDeadlinePassed(1_000, 7_999, 7_000)).toBe(false);
    expect(renewDeadlinePassed(1_000, 8_000, 7_000)).toBe(true);
  });
});

describe('nextDelay', () => {
  it('renews every retry period while leading', () => {
    expect(nextDelay(true, undefined, 2_000, 0, 0.9)).toBe(2_000);
  });
  it('adds up to 20% jitter while following but never sleeps past the expiry', () => {
    expect(nextDelay(false, undefined, 2_000, 0, 1)).toBe(2_400);
    expect(nextDelay(false, { action: 'wait', holder: 'b', expiresAt: 10_500 }, 2_000, 10_000, 1)).toBe(520);
    expect(nextDelay(false, { action: 'wait', holder: 'b', expiresAt: 5_000 }, 2_000, 10_000, 0)).toBe(20);
  });
});

// A follower loop driven only by these functions, on a simulated clock: whatever the phase of
// the leader's renewals, the follower's polling and the jitter, a leader that stops renewing
// (SIGKILL) is replaced within leaseDuration + retryPeriod × 1.2 (+20 ms) of its last renewal.
// With the defaults (10 s, 2 s) that is 12.42 s: the basis of the 15 s takeover target.
describe('takeover after a leader stops renewing (simulation)', () => {
  it('acquires within leaseDuration + 1.2 × retryPeriod of the last renewal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_999 }), // leader's renewal phase
        fc.integer({ min: 0, max: 2_399 }), // follower's polling phase
        fc.integer({ min: 1, max: 20 }), // renewals before the kill
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 64, maxLength: 64 }),
        (leaderPhase, followerPhase, renewals, randoms) => {
          const lease = 10_000;
          const retry = 2_000;
          const lastRenewal = leaderPhase + (renewals - 1) * retry;
          // The Lease as stored at time t: renewed by the leader every retry period until the kill.
          const stored = (t: number): LeaseRecord => {
            const n = Math.min(renewals - 1, Math.floor((t - leaderPhase) / retry));
            return held('leader', n < 0 ? 0 : leaderPhase + n * retry, 1);
          };
          let t = followerPhase;
          let obs: Observed | undefined;
          for (let i = 0; i < randoms.length; i++) {
            obs = observe(obs, stored(t), t);
            const d = decide(obs, 'follower', lease, at(t));
            if (d.action === 'acquire') {
              expect(t).toBeGreaterThanOrEqual(lastRenewal + lease);
              expect(t - lastRenewal).toBeLessThanOrEqual(lease + retry * 1.2 + 20);
              return;
            }
            t += nextDelay(false, d, retry, t, randoms[i] ?? 0);
          }
          throw new Error(`no takeover by t=${t}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
