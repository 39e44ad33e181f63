import { describe, expect, it } from 'vitest';
import { Deduper, SlidingCount } from './dedup.js';

const MIN = 60_000;

describe('Deduper', () => {
  it('sends the first occurrence, counts repeats in the window and sends one summary when it ends', () => {
    const d = new Deduper<string>(10 * MIN);
    expect(d.offer('k', 'first', 0)).toEqual({ item: 'first', count: 1, firstAt: 0, lastAt: 0 });
    for (let i = 1; i <= 99; i++) expect(d.offer('k', `#${i}`, i * 1000)).toBeUndefined();
    expect(d.flush(10 * MIN - 1)).toEqual([]);
    // 100 reconciles → 2 messages: the first, and one summary standing for the other 99.
    expect(d.flush(10 * MIN)).toEqual([{ item: '#99', count: 99, firstAt: 1000, lastAt: 99_000 }]);
    // The summary opened a new window: a quiet one closes without a message.
    expect(d.flush(20 * MIN)).toEqual([]);
    expect(d.size).toBe(0);
    expect(d.offer('k', 'again', 21 * MIN)?.count).toBe(1);
  });

  it('keeps keys apart (another sync, event or reason is another message)', () => {
    const d = new Deduper<string>(MIN);
    expect(d.offer('a', 'x', 0)).toBeDefined();
    expect(d.offer('b', 'x', 0)).toBeDefined();
    expect(d.offer('a', 'x', 1)).toBeUndefined();
  });

  it('folds repeats of an ended, unflushed window into the next message', () => {
    const d = new Deduper<string>(MIN);
    d.offer('k', 'a', 0);
    d.offer('k', 'b', 10);
    d.offer('k', 'c', 20);
    expect(d.offer('k', 'd', MIN + 5)).toEqual({ item: 'd', count: 3, firstAt: 10, lastAt: MIN + 5 });
  });

  it('with a window of 0 sends everything', () => {
    const d = new Deduper<string>(0);
    expect([0, 0, 0].map((t) => d.offer('k', 'x', t)?.count)).toEqual([1, 1, 1]);
  });
});

describe('SlidingCount', () => {
  it('counts only the events inside the window ending now', () => {
    const c = new SlidingCount(MIN);
    expect(c.add('s', 0)).toBe(1);
    expect(c.add('s', 30_000)).toBe(2);
    expect(c.add('s', 59_999)).toBe(3);
    expect(c.add('s', 60_000)).toBe(3); // the one at 0 fell out
    expect(c.add('other', 60_000)).toBe(1);
  });
});
