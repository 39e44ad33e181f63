import { describe, expect, it } from 'vitest';
import { ChartCache } from './chart-cache.js';

const chart = (n: number, name = 'c'): { archive: Buffer; name: string; version: string } => ({
  archive: Buffer.alloc(n),
  name,
  version: '1.0.0',
});

describe('ChartCache', () => {
  it('returns what was stored and counts hits and misses', () => {
    const c = new ChartCache(100);
    expect(c.get('sha256:a')).toBeUndefined();
    c.set('sha256:a', chart(10, 'a'));
    expect(c.get('sha256:a')?.name).toBe('a');
    expect([c.hits, c.misses]).toEqual([1, 1]);
  });

  it('evicts the least recently used entries beyond the byte budget', () => {
    const c = new ChartCache(100);
    c.set('a', chart(40));
    c.set('b', chart(40));
    c.get('a'); // a is now more recent than b
    c.set('c', chart(40));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
    expect(c.totalWeight).toBe(80);
  });

  it('does not keep a chart larger than the budget, and replacing an entry keeps the byte count right', () => {
    const c = new ChartCache(100);
    c.set('big', chart(101));
    expect(c.size).toBe(0);
    c.set('a', chart(30));
    c.set('a', chart(50));
    expect(c.totalWeight).toBe(50);
    expect(c.size).toBe(1);
  });
});
