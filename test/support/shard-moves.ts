// Shard ownership for tests and benches that move shards on purpose: waiting until a group's
// shard Leases have settled for a set of live replicas, and predicting — with the daemon's own
// pure assignment (daemon/shard/assign.ts) — which SIGKILL + restart makes a given shard move
// on the restart (a rebalance), since which shards a rejoining replica takes depends on who
// holds what, not on the names alone.
import type { KubeClient } from '../../daemon/kube/client.js';
import { targetAssignment } from '../../daemon/shard/index.js';
import { shardHolders } from './shard-leases.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** shard → member, from an assignment (member → shards). */
function owners(a: ReadonlyMap<string, readonly number[]>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [m, ks] of a) for (const k of ks) out.set(k, m);
  return out;
}

/**
 * The replicas whose SIGKILL and restart would move shard `k` on the restart, as the assignment
 * predicts from the settled `holders`: after the kill the survivors keep theirs and share the
 * victim's; on the rejoin the members over their new quota hand shards back to it.
 */
export function rejoinMoves(shards: number, members: readonly string[], holders: ReadonlyMap<number, string>, k: number): string[] {
  return members.filter((victim) => {
    const survivors = members.filter((m) => m !== victim);
    const kept = new Map([...holders].filter(([, m]) => m !== victim));
    const afterKill = owners(targetAssignment(shards, survivors, kept));
    const afterRejoin = owners(targetAssignment(shards, members, afterKill));
    return afterKill.get(k) !== afterRejoin.get(k);
  });
}

/**
 * Whether `member`'s rendezvous score for shard `k` is below its score for every other shard,
 * asked of the daemon's own assignment: with one shard per member (N members, N shards) and
 * `member` holding k and j, it keeps the better of the two.
 */
function ranksLast(shards: number, member: string, k: number): boolean {
  const members = [member, ...Array.from({ length: shards - 1 }, (_, i) => `~other-${i}`)];
  for (let j = 0; j < shards; j++) {
    if (j === k) continue;
    const kept =
      targetAssignment(
        shards,
        members,
        new Map([
          [k, member],
          [j, member],
        ]),
      ).get(member) ?? [];
    if (kept.includes(k)) return false;
  }
  return true;
}

/**
 * `count` replica identities `<prefix>-r<i>` for which shard `k` scores lowest of all shards: a
 * member over its quota hands k back first, so a rejoin after a kill always moves k (if its
 * holder is over quota, which the survivor holding it is) — a rebalance of k on demand.
 */
export function identitiesHandingBackFirst(prefix: string, shards: number, k: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count && i < 10_000; i++) if (ranksLast(shards, `${prefix}-r${i}`, k)) out.push(`${prefix}-r${i}`);
  if (out.length < count) throw new Error(`no ${count} identities with shard ${k} last among ${shards}`);
  return out;
}

/**
 * Waits until every shard is held by one of `live`, each holding ⌊N/M⌋ or ⌈N/M⌉, unchanged over
 * three reads half a second apart (a handover in flight shows as a released Lease). Returns the
 * holders, or undefined on timeout.
 */
export async function waitSettled(
  kube: KubeClient,
  namespace: string,
  group: string,
  shards: number,
  live: readonly string[],
  timeoutMs: number,
): Promise<Map<number, string> | undefined> {
  const lo = Math.floor(shards / live.length);
  const hi = Math.ceil(shards / live.length);
  const balanced = (h: Map<number, string>): boolean =>
    h.size === shards &&
    [...h.values()].every((m) => live.includes(m)) &&
    live.every((id) => {
      const n = [...h.values()].filter((m) => m === id).length;
      return n >= lo && n <= hi;
    });
  const deadline = Date.now() + timeoutMs;
  let same = 0;
  let prev = '';
  while (Date.now() < deadline) {
    const h = await shardHolders(kube, namespace, group).catch(() => undefined);
    const key = h ? JSON.stringify([...h].sort((x, y) => x[0] - y[0])) : '';
    same = h && balanced(h) && key === prev ? same + 1 : 0;
    prev = key;
    if (h && same >= 2) return h;
    await sleep(500);
  }
  return undefined;
}
