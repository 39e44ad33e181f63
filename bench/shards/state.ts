// What the bench reads back: each sync's round from the clusters, and shard ownership from the
// Leases on the home cluster.
import type { KubeClient } from '../../daemon/kube/client.js';
import type { TestCluster } from '../../test/support/kube-cluster.js';
import type { ReplicaFleet } from '../../test/support/replica-fleet.js';
import { shardHolders } from '../../test/support/shard-leases.js';
import { waitSettled } from '../../test/support/shard-moves.js';
import type { ImageFeed } from './writeback.js';
import { ALL, GROUP, LEASE_NS, N, NS, PER_SYNC, SHARD_OF, short, SYNCS } from './layout.js';
import type { Repo } from './repo.js';
import { sleep } from './report.js';

/** Everything the bench's steps work on. */
export interface Bench {
  clusters: TestCluster[];
  home: KubeClient;
  fleet: ReplicaFleet;
  repo: Repo;
  images: ImageFeed;
}

/** sync → the lowest round among its ConfigMaps (0 when one is missing). */
async function roundsNow(b: Bench): Promise<number[]> {
  const lists = await Promise.all(
    b.clusters.map((c) =>
      c.client.request<{ items: { metadata: { name: string }; data?: { round?: string } }[] }>(`/api/v1/namespaces/${NS}/configmaps`),
    ),
  );
  const byName = new Map<string, number>();
  for (const l of lists) for (const cm of l.items) byName.set(cm.metadata.name, Number(cm.data?.round ?? 0));
  return Array.from({ length: SYNCS }, (_, i) => Math.min(...Array.from({ length: PER_SYNC }, (_, j) => byName.get(`s${i}-${j}`) ?? 0)));
}

/** Waits until each sync of `which` holds `round` or later: sync → when first seen there (undefined on timeout). */
export async function waitApplied(
  b: Bench,
  round: number,
  which: readonly number[],
  timeoutMs: number,
): Promise<Map<number, number> | undefined> {
  const seen = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = Date.now();
    const rs = await roundsNow(b).catch(() => undefined);
    if (rs) for (const i of which) if (!seen.has(i) && rs[i]! >= round) seen.set(i, now);
    if (seen.size === which.length) return seen;
    await sleep(200);
  }
  return undefined;
}
export const latest = (m: Map<number, number>, which: readonly number[] = ALL): number => Math.max(...which.map((i) => m.get(i)!));

export const holders = (b: Bench): Promise<Map<number, string>> => shardHolders(b.home, LEASE_NS, GROUP);
/**
 * Waits until the Leases are settled for `live`: every shard held by a live member, each holding
 * ⌊N/M⌋ or ⌈N/M⌉, unchanged over three reads (the assignment is sticky — daemon/shard/assign.ts —
 * so which member holds which shard depends on who held it before, not on the names alone).
 */
export const waitTarget = (b: Bench, live: readonly string[], timeoutMs: number): Promise<Map<number, string> | undefined> =>
  waitSettled(b.home, LEASE_NS, GROUP, N, live, timeoutMs);
export const moves = (before: Map<number, string>, after: Map<number, string>): number =>
  [...after].filter(([k, m]) => before.get(k) !== m).length;
export function spread(h: Map<number, string>, live: readonly string[]): string {
  const shards = live.map((id) => [...h.values()].filter((m) => m === id).length);
  const syncs = live.map((id) => SHARD_OF.filter((k) => h.get(k) === id).length);
  return `shards ${shards.join('/')}, syncs ${syncs.join('/')} (${live.map(short).join('/')})`;
}
export const syncsOf = (h: Map<number, string>, id: string): number[] => ALL.filter((i) => h.get(SHARD_OF[i]!) === id);
