// Sharding (--shards): which shards this replica owns, and how they moved. Registered only when
// sharding is on (initShardMetrics), so a single replica's /metrics stays as it was.
import { Counter, Gauge } from 'prom-client';
import { registry } from './registry.js';

let owned: Gauge<'shard'> | undefined;
let count: Gauge | undefined;
let moves: Counter<'direction'> | undefined;

/** Series for shards 0..shards-1 at 0, and the move counters at 0. */
export function initShardMetrics(shards: number): void {
  owned ??= new Gauge({
    name: 'gitops_seal_shard_owned',
    help: '1 when this replica owns the shard (runs its syncs), else 0.',
    labelNames: ['shard'],
    registers: [registry],
  });
  count ??= new Gauge({ name: 'gitops_seal_shards_owned', help: 'How many shards this replica owns.', registers: [registry] });
  moves ??= new Counter({
    name: 'gitops_seal_shard_moves_total',
    help: 'Shards this replica acquired, released (rebalance or shutdown) or lost (renew deadline passed, or taken).',
    labelNames: ['direction'],
    registers: [registry],
  });
  for (let k = 0; k < shards; k++) owned.set({ shard: String(k) }, 0);
  count.set(0);
  for (const d of ['acquired', 'released', 'lost']) moves.inc({ direction: d }, 0);
}

export function setShardOwned(shard: number, isOwned: boolean, total: number): void {
  owned?.set({ shard: String(shard) }, isOwned ? 1 : 0);
  count?.set(total);
}

export function countShardMove(direction: 'acquired' | 'released' | 'lost'): void {
  moves?.inc({ direction });
}
