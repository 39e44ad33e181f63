// The e2e test's rebalance on demand rests on these: names for which shard 0 scores lowest make
// every kill + restart move shard 0 on the restart, whoever held what before.
import { describe, expect, it } from 'vitest';
import { targetAssignment } from '../../daemon/shard/index.js';
import { identitiesHandingBackFirst, rejoinMoves } from './shard-moves.js';

describe('shard moves', () => {
  it('with shard 0 last for every member, any kill + restart moves shard 0 on the restart', () => {
    for (let g = 0; g < 20; g++) {
      const ids = identitiesHandingBackFirst(`g${g}`, 6, 0, 3);
      // Settled states reached from different histories: a cold start, and one member first.
      const cold = new Map<number, string>();
      for (const [m, ks] of targetAssignment(6, ids)) for (const k of ks) cold.set(k, m);
      const alone = new Map<number, string>(Array.from({ length: 6 }, (_, k) => [k, ids[g % 3]!] as [number, string]));
      const joined = new Map<number, string>();
      for (const [m, ks] of targetAssignment(6, ids, alone)) for (const k of ks) joined.set(k, m);
      expect(rejoinMoves(6, ids, cold, 0)).toEqual(ids);
      expect(rejoinMoves(6, ids, joined, 0)).toEqual(ids);
    }
  });

  it('names picked at random often leave a state where no restart moves shard 0', () => {
    const stuck = Array.from({ length: 40 }, (_, g) => {
      const ids = ['a', 'b', 'c'].map((x) => `h${g}-${x}`);
      const h = new Map<number, string>();
      for (const [m, ks] of targetAssignment(6, ids)) for (const k of ks) h.set(k, m);
      return rejoinMoves(6, ids, h, 0).length === 0;
    }).filter(Boolean).length;
    expect(stuck).toBeGreaterThan(0);
  });
});
