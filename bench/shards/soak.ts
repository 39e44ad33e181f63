// The soak: 3 replicas, a round (and a new image tag) every few seconds, and about every minute a
// SIGKILL + restart — every other cycle of the image automation's owner (shard 0), else of a
// random replica: missed rounds, failover times, moves, write-back failover times.
import { ALL, IDS, N, SOAK_MIN, short } from './layout.js';
import { load, med, range, row, s, sleep } from './report.js';
import { holders, waitApplied, waitTarget, type Bench } from './state.js';
import { commitAndWait, failover, rejoin, revive } from './steps.js';

export async function soak(b: Bench): Promise<void> {
  await Promise.all(IDS.map((id) => b.fleet.start(id)));
  let settled = false;
  for (let i = 0; i < 3 && !settled; i++) {
    await revive(b);
    settled = (await waitTarget(b, IDS, 90_000)) !== undefined;
  }
  if (!settled || !(await waitApplied(b, 1, ALL, 120_000))) throw new Error('the 3 replicas did not settle and apply round 1');
  const end = Date.now() + SOAK_MIN * 60_000;
  let commits = 0;
  let missed = 0;
  const fo: number[] = [];
  const applied: number[] = [];
  const moved: number[] = [];
  const wb: number[] = [];
  let wbMissed = 0;
  let survivors = 0;
  let kills = 0;
  const step = async (): Promise<void> => {
    const r = await commitAndWait(b);
    commits++;
    if (r.ms === undefined) missed++;
    else applied.push(r.ms);
  };
  for (let cycle = 1; Date.now() < end; cycle++) {
    const start = Date.now();
    await revive(b);
    const owner0 = (await holders(b)).get(0);
    const victim = cycle % 2 === 1 && owner0 && IDS.includes(owner0) ? owner0 : IDS[Math.floor(Math.random() * IDS.length)]!;
    const f = await failover(b, victim);
    kills++;
    commits++;
    if (f.ms === undefined) missed++;
    else fo.push(f.ms);
    survivors += f.survivorsMoved;
    if (victim === owner0) {
      // failover() pushed a tag right after the kill: until the branch holds it.
      const last = b.images.pushed[b.images.pushed.length - 1]!;
      const ms = await b.images.waitCommitted(last.tag, 60_000);
      if (ms === undefined) wbMissed++;
      else wb.push(last.at - f.killedAt + ms);
    }
    await step();
    const m = await rejoin(b, victim);
    if (m !== undefined) moved.push(m);
    while (Date.now() - start < 60_000 && Date.now() < end) {
      await step();
      await sleep(3000);
    }
    console.log(
      `[shards] cycle ${cycle}: killed ${short(victim)}${victim === owner0 ? ' (shard 0)' : ''}, failover ${f.ms === undefined ? '—' : s(f.ms)}, rejoin moved ${m ?? '—'}, load ${load()}`,
    );
  }
  row('soak', `${SOAK_MIN} min, ${kills} kills, ${commits} commits, ${missed} not applied everywhere within 60 s`);
  row('failover (SIGKILL → its syncs at the next commit)', `${range(fo)}, max ${fo.length ? s(Math.max(...fo)) : '—'}`);
  row('commit → all 60 applied (no kill)', range(applied));
  row('rejoin: shards moved', moved.length ? `median ${med(moved)} (${Math.min(...moved)}–${Math.max(...moved)}) of ${N}` : '—');
  row("survivors' shards moved on a kill (total)", String(survivors));
  row('SIGKILL of the shard-0 owner → the tag pushed then committed', `${range(wb)}; not within 60 s: ${wbMissed}`);
}
