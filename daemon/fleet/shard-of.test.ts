import { describe, expect, it } from 'vitest';
import { shardOf } from './shard-of.js';

describe('shardOf (the contract hash)', () => {
  it('is the first 4 bytes of sha256(kind/name), big-endian, mod shards (values from Python hashlib)', () => {
    expect(shardOf('sync', 'apps', 64)).toBe(38);
    expect(shardOf('image', 'web', 7)).toBe(3);
    expect(shardOf('sync', '', 3)).toBe(0);
    expect(shardOf('sync', 'ünïcode', 1000)).toBe(590);
    expect(shardOf('sync', 'apps', 2 ** 32 - 1)).toBe(2129458470);
  });

  it('spreads 600 names over 3 shards within ±15% of a third', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 600; i++) counts[shardOf('sync', `sync-${i}`, 3)]!++;
    for (const c of counts) expect(Math.abs(c - 200)).toBeLessThan(30);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardOf('sync', 'a', 0)).toThrow(RangeError);
    expect(() => shardOf('sync', 'a', 1.5)).toThrow(/positive integer/);
  });
});
