import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, recordOutcome } from './history.js';
import type { SyncHistoryEntry } from './status.js';

const rev = (n: number): string => String(n % 10).repeat(40);
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe('recordOutcome', () => {
  it('keeps outcomes newest first and counts the same outcome in a row instead of appending it', () => {
    const h: SyncHistoryEntry[] = [];
    recordOutcome(h, { revision: rev(1), result: 'applied', objects: 3, at: at(1) });
    recordOutcome(h, { revision: rev(2), result: 'refused', stage: 'decrypt', message: 'apps/s.yaml: tampered', at: at(2) });
    recordOutcome(h, { revision: rev(2), result: 'refused', stage: 'decrypt', message: 'apps/s.yaml: tampered', at: at(3) });
    recordOutcome(h, { revision: rev(2), result: 'refused', stage: 'decrypt', message: 'apps/s.yaml: tampered', at: at(4) });
    expect(h).toEqual([
      { revision: rev(2), result: 'refused', stage: 'decrypt', message: 'apps/s.yaml: tampered', count: 3, firstAt: at(2), lastAt: at(4) },
      { revision: rev(1), result: 'applied', objects: 3, count: 1, firstAt: at(1), lastAt: at(1) },
    ]);
  });

  it('appends when anything differs: revision, result, stage or cause', () => {
    const h: SyncHistoryEntry[] = [];
    recordOutcome(h, { revision: rev(1), result: 'refused', stage: 'decrypt', message: 'a', at: at(1) });
    recordOutcome(h, { revision: rev(1), result: 'refused', stage: 'decrypt', message: 'b', at: at(2) });
    recordOutcome(h, { revision: rev(1), result: 'refused', stage: 'apply', message: 'b', at: at(3) });
    recordOutcome(h, { revision: rev(1), result: 'applied', objects: 1, at: at(4) });
    recordOutcome(h, { revision: rev(2), result: 'applied', objects: 1, at: at(5) });
    // Only a repeat of the newest outcome is counted: A, B, A is three entries.
    recordOutcome(h, { revision: rev(1), result: 'applied', objects: 1, at: at(6) });
    expect(h.map((e) => e.count)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(h.map((e) => e.lastAt)).toEqual([at(6), at(5), at(4), at(3), at(2), at(1)]);
  });

  it(`is bounded: the oldest outcomes fall off past ${HISTORY_LIMIT}`, () => {
    const h: SyncHistoryEntry[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 7; i++)
      recordOutcome(h, { revision: `${i}`.padStart(40, '0'), result: 'applied', objects: i, at: at(i) });
    expect(h).toHaveLength(HISTORY_LIMIT);
    expect(h[0]?.objects).toBe(HISTORY_LIMIT + 6);
    expect(h[HISTORY_LIMIT - 1]?.objects).toBe(7);
  });

  it('caps a long cause at 1 KiB, and still counts its repeats', () => {
    const h: SyncHistoryEntry[] = [];
    const long = 'x'.repeat(5000);
    recordOutcome(h, { revision: rev(1), result: 'refused', stage: 'manifests', message: long, at: at(1) });
    recordOutcome(h, { revision: rev(1), result: 'refused', stage: 'manifests', message: long, at: at(2) });
    expect(h).toHaveLength(1);
    expect(h[0]?.message).toHaveLength(1024);
    expect(h[0]?.message?.endsWith('...')).toBe(true);
    expect(h[0]?.count).toBe(2);
  });
});
