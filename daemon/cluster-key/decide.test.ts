import { describe, expect, it } from 'vitest';
import type { ClusterIdentity } from '../../keys/index.js';
import { configMapDiffers, nextCheckDelay, retiredOnlyFiles, rotationDue, rotationThreshold } from './decide.js';
import { mergeIdentities } from './store.js';

const key = (recipient: string, created: string): ClusterIdentity => ({
  identity: `id-of-${recipient}`,
  recipient,
  created: new Date(created),
});
const H = 3_600_000;

describe('cluster key decisions', () => {
  const now = new Date('2026-12-06T12:00:00Z');

  it('rotates when the current key is older than rotateEvery, never with 0', () => {
    expect(rotationDue(key('a', '2026-11-06T11:59:59Z'), now, 720 * H)).toBe(true);
    expect(rotationDue(key('a', '2026-11-06T12:00:00Z'), now, 720 * H)).toBe(false);
    expect(rotationDue(key('a', '1970-01-01T00:00:00Z'), now, 0)).toBe(false);
    expect(rotationThreshold(now, 0)).toBeUndefined();
    expect(rotationThreshold(now, 2000)?.toISOString()).toBe('2026-12-06T11:59:58.000Z');
  });

  it('sleeps checkInterval, less when a rotation falls due sooner, at most 5 s after a failure', () => {
    const base = { now, rotateEveryMs: 720 * H, checkIntervalMs: 60_000, failed: false };
    expect(nextCheckDelay({ ...base, newest: key('a', '2026-12-06T11:00:00Z') })).toBe(60_000);
    // Due in 2 s: wake just after.
    expect(nextCheckDelay({ ...base, rotateEveryMs: 4000, newest: key('a', '2026-12-06T11:59:58Z') })).toBe(2001);
    // Overdue (the rotation just failed, say): no busy loop.
    expect(nextCheckDelay({ ...base, rotateEveryMs: 1000, newest: key('a', '2026-12-01T00:00:00Z') })).toBe(50);
    expect(nextCheckDelay({ ...base, newest: undefined, failed: true })).toBe(5000);
    expect(nextCheckDelay({ ...base, rotateEveryMs: 0, newest: key('a', '1970-01-01T00:00:00Z') })).toBe(60_000);
  });

  it('writes the ConfigMap only when its data differs', () => {
    const d = { recipient: 'age1x', fingerprint: 'SHA256:x', created: 't', retired: '' };
    expect(configMapDiffers(undefined, d)).toBe(true);
    expect(configMapDiffers({ ...d }, d)).toBe(false);
    expect(configMapDiffers({ ...d, retired: 'age1y' }, d)).toBe(true);
    expect(configMapDiffers({ ...d, extra: 'z' }, d)).toBe(true);
  });

  it('counts files that only a retired identity opens, from their stanzas', () => {
    const ids = [key('old', '2026-01-01T00:00:00Z'), key('older-still', '2026-02-01T00:00:00Z'), key('cur', '2026-03-01T00:00:00Z')];
    const usage = {
      ownRecipients: new Set(['admin']),
      vault: true,
      files: [
        { age: ['old'], hcVault: 0 }, // retired only → counts
        { age: ['older-still', 'other-team'], hcVault: 0 }, // a retired key and one the sync does not hold → counts
        { age: ['old', 'cur'], hcVault: 0 }, // the current key opens it (though 'old' comes first)
        { age: ['old', 'admin'], hcVault: 0 }, // the sync's own identity opens it
        { age: ['old'], hcVault: 1 }, // transit, and the sync has Vault
        { age: ['cur'], hcVault: 0 },
        { age: ['admin'], hcVault: 0 }, // not a cluster key at all
      ],
    };
    expect(retiredOnlyFiles(usage, ids)).toBe(2);
    expect(retiredOnlyFiles({ ...usage, vault: false }, ids)).toBe(3);
    expect(retiredOnlyFiles(usage, [])).toBe(0);
  });

  it('merges identity lists by creation time, each once, equal times keeping their order', () => {
    const a = key('a', '2026-01-01T00:00:00Z');
    const b = key('b', '2026-02-01T00:00:00Z');
    const c = key('c', '2026-02-01T00:00:00Z');
    expect(mergeIdentities([b, c], [a, b]).map((k) => k.recipient)).toEqual(['a', 'b', 'c']);
    expect(mergeIdentities([c], [b]).map((k) => k.recipient)).toEqual(['c', 'b']);
  });
});
