import { describe, expect, it } from 'vitest';
import { LeaderElectionConfigError } from './errors.js';
import { defaultIdentity, leaderElectionOptions } from './options.js';

describe('leader election options', () => {
  it('defaults: gitops-seal-system/gitops-seal, 10 s / 7 s / 2 s', () => {
    expect(leaderElectionOptions({ identity: 'x' })).toEqual({
      namespace: 'gitops-seal-system',
      name: 'gitops-seal',
      identity: 'x',
      leaseDurationMs: 10_000,
      renewDeadlineMs: 7_000,
      retryPeriodMs: 2_000,
    });
  });

  it('identity is POD_NAME, else hostname_pid', () => {
    expect(defaultIdentity({ POD_NAME: 'seal-7d9f-abcde' }, 'node1', 42)).toBe('seal-7d9f-abcde');
    expect(defaultIdentity({}, 'node1', 42)).toBe('node1_42');
    expect(defaultIdentity({ POD_NAME: ' ' }, 'node1', 42)).toBe('node1_42');
  });

  it.each([
    [{ renewDeadlineMs: 10_000 }, /renew deadline \(10000 ms\) must be shorter than the lease duration/],
    [{ retryPeriodMs: 7_000 }, /retry period \(7000 ms\) must be shorter than the renew deadline/],
    [{ leaseDurationMs: 2_500, renewDeadlineMs: 2_000, retryPeriodMs: 500 }, /whole seconds/],
    [{ retryPeriodMs: 0 }, /must be positive/],
    [{ name: 'Gitops_Seal' }, /--leader-election-id "Gitops_Seal" is not a valid Lease name/],
    [{ namespace: '' }, /--leader-election-namespace "" is not a valid namespace/],
  ])('refuses %o', (partial, message) => {
    expect(() => leaderElectionOptions({ identity: 'x', ...partial })).toThrow(LeaderElectionConfigError);
    expect(() => leaderElectionOptions({ identity: 'x', ...partial })).toThrow(message);
  });
});
