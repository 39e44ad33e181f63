import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from './duration.js';

describe('parseDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['2h45m30s', 9_930_000],
    ['1500us', 1.5],
    ['-1m', -60_000],
    ['.5s', 500],
  ])('%s → %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it.each(['', '5', '1d', '5 m', 'm', '1h-30m', '30S'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(DurationError);
  });

  it('hints at the missing unit', () => {
    expect(() => parseDuration('300')).toThrow(/missing unit/);
  });

  it('formats back', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1500)).toBe('1s500ms');
  });
});
