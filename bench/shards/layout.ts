// The bench's names and knobs, and the one place that maps syncs to shards and replicas: the
// SHARD_OF table and the per-replica counts of whatIf() are both here so that a change of the
// assignment (a balanced shard map, say) is a change of this file only.
import { parseShards, ShardMap, targetAssignment } from '../../daemon/shard/index.js';

export const T0 = Date.now();
export const RUN = T0.toString(36);
export const SYNCS = 60;
export const CLUSTERS = 3;
export const N = parseShards(process.env.BENCH_SHARDS ?? 'auto', SYNCS);
export const COMMITS = Number(process.env.BENCH_COMMITS ?? 5);
export const PER_SYNC = Number(process.env.BENCH_OBJECTS_PER_SYNC ?? 5);
export const SOAK_MIN = Number(process.env.BENCH_SOAK_MINUTES ?? 0);
export const NS = `bsh-${RUN}`;
export const GROUP = `bsh-${RUN}`;
export const LEASE_NS = 'default';
export const IDS = ['a', 'b', 'c'].map((x) => `bsh-${RUN}-${x}`);
export const syncName = (i: number): string => `bsh-${RUN}-${i}`;
export const short = (id: string): string => id.slice(id.lastIndexOf('-') + 1);
export const ALL = Array.from({ length: SYNCS }, (_, i) => i);

/** The daemons' own map of these syncs (daemon/shard/shard-map.ts), as every replica builds it. */
const SHARD_MAP = new ShardMap(ALL.map(syncName), N);

/** sync index → its shard. */
export const SHARD_OF = ALL.map((i) => SHARD_MAP.shardOf(syncName(i)));

/** Syncs per replica the assignment gives these names at other shard counts (pure: assign.ts + shard-map.ts). */
export function whatIf(): string {
  return [3, 12, 15, 30, 60]
    .map((n) => {
      const owner = new Map<number, string>();
      for (const [m, ks] of targetAssignment(n, IDS)) for (const k of ks) owner.set(k, m);
      const map = new ShardMap(ALL.map(syncName), n);
      const per = IDS.map((id) => ALL.filter((i) => owner.get(map.shardOf(syncName(i))) === id).length);
      return `${n}: ${per.join('/')}`;
    })
    .join(', ');
}
