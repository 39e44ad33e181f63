// The bench's steps, shared by the short form and the soak: a round committed and waited for, a
// SIGKILL with a round pushed at once (failover), a replica started again (rejoin). Each round
// also pushes a new image tag, so that write-back runs all along, handovers included.
import { ALL, IDS, short } from './layout.js';
import { handovers } from './report.js';
import { holders, latest, moves, syncsOf, waitApplied, waitTarget, type Bench } from './state.js';

export async function commitAndWait(b: Bench, timeoutMs = 60_000): Promise<{ round: number; ms?: number; seen?: Map<number, number> }> {
  await b.images.next();
  const round = await b.repo.commit();
  const seen = await waitApplied(b, round, ALL, timeoutMs);
  return { round, ...(seen ? { ms: latest(seen) - b.repo.pushedAt.get(round)!, seen } : {}) };
}

/** SIGKILL `victim`, push a round (and a tag) at once: ms from the kill until each of its syncs held that round. */
export async function failover(
  b: Bench,
  victim: string,
): Promise<{ ms?: number; moved: number; survivorsMoved: number; killedAt: number }> {
  const before = await holders(b);
  const its = syncsOf(before, victim);
  const t0 = Date.now();
  await b.fleet.kill(victim);
  await b.images.next();
  const round = await b.repo.commit();
  const seen = await waitApplied(b, round, ALL, 60_000);
  const after = (await waitTarget(b, b.fleet.live(), 60_000)) ?? (await holders(b));
  handovers.push({ from: t0, to: Date.now(), what: `kill ${short(victim)}` });
  const survivorsMoved = [...before].filter(([k, m]) => m !== victim && after.get(k) !== m).length;
  return { ...(seen ? { ms: latest(seen, its) - t0 } : {}), moved: its.length, survivorsMoved, killedAt: t0 };
}

/**
 * SIGKILL the owner of shard 0 (the image automation) and push a tag at once: ms from the kill
 * until the branch holds that tag (its successor's write-back), then start it again.
 */
export async function writebackFailover(b: Bench): Promise<{ ms?: number; owner: string; rejoinMovedShard0: boolean }> {
  const owner = (await holders(b)).get(0)!;
  const t0 = Date.now();
  await b.fleet.kill(owner);
  const tag = await b.images.next();
  const pushedAt = b.images.pushed[b.images.pushed.length - 1]!.at;
  const wait = await b.images.waitCommitted(tag, 90_000);
  await waitTarget(b, b.fleet.live(), 60_000);
  handovers.push({ from: t0, to: Date.now(), what: `kill ${short(owner)} (shard 0)` });
  const before = (await holders(b)).get(0);
  await rejoin(b, owner);
  const after = (await holders(b)).get(0);
  return { ...(wait !== undefined ? { ms: pushedAt - t0 + wait } : {}), owner, rejoinMovedShard0: before !== after };
}

/** Start `id` again: shards that changed holder between the settled states before and after. */
export async function rejoin(b: Bench, id: string): Promise<number | undefined> {
  const before = await holders(b);
  const t0 = Date.now();
  await b.fleet.start(id);
  const after = await waitTarget(b, b.fleet.live(), 90_000);
  handovers.push({ from: t0, to: Date.now(), what: `start ${short(id)}` });
  return after ? moves(before, after) : undefined;
}

/** As the kubelet would: start again each replica that exited on its own (fleet.exits has them). */
export async function revive(b: Bench): Promise<void> {
  for (const id of IDS)
    if (!b.fleet.live().includes(id)) {
      const t0 = Date.now();
      await b.fleet.start(id);
      await waitTarget(b, b.fleet.live(), 90_000);
      handovers.push({ from: t0, to: Date.now(), what: `revive ${short(id)}` });
    }
}
