// The short form: 1 replica → COMMITS rounds; 2 more join (spread); COMMITS rounds on 3; SIGKILL
// one → failover; start it again → shards moved; SIGKILL the image automation's owner (shard 0)
// → a new tag committed by its successor; start it again.
import { ALL, COMMITS, IDS, N, whatIf } from './layout.js';
import { handovers, range, row, s } from './report.js';
import { rssMb } from './rss.js';
import { holders, moves, spread, waitApplied, waitTarget, type Bench } from './state.js';
import { commitAndWait, failover, rejoin, writebackFailover } from './steps.js';

/** COMMITS rounds one after the other: commit → all applied, and how many were not within 60 s. */
async function commits(b: Bench): Promise<string> {
  const ms: number[] = [];
  for (let k = 0; k < COMMITS; k++) {
    const r = await commitAndWait(b);
    if (r.ms !== undefined) ms.push(r.ms);
  }
  return `${range(ms)}${ms.length < COMMITS ? `; ${COMMITS - ms.length} of ${COMMITS} not within 60 s` : ''}`;
}

export async function shortForm(b: Bench): Promise<void> {
  row('syncs per replica at N shards (computed for these names)', whatIf());
  const [a, bb, c] = IDS as [string, string, string];
  await b.fleet.start(a);
  if (!(await waitApplied(b, 1, ALL, 120_000))) throw new Error('replica a did not apply round 1 to all 60 syncs within 120 s');
  row('1 replica: commit → all 60 syncs applied', await commits(b));
  row('1 replica RSS', rssMb(b.fleet));
  const solo = await holders(b);
  const tJoin = Date.now();
  await Promise.all([b.fleet.start(bb), b.fleet.start(c)]);
  const three = await waitTarget(b, IDS, 120_000);
  handovers.push({ from: tJoin, to: Date.now(), what: 'start b, c' });
  if (!three) throw new Error(`the Leases did not reach the 3-replica target within 120 s: ${spread(await holders(b), IDS)}`);
  row(
    '3 replicas joined: spread',
    `${spread(three, IDS)}; ${moves(solo, three)} of ${N} shards moved off a, settled in ${s(Date.now() - tJoin)}`,
  );
  await waitApplied(b, b.repo.round, ALL, 60_000);
  row('3 replicas: commit → all 60 syncs applied', await commits(b));
  row('3 replicas RSS', rssMb(b.fleet));
  const f = await failover(b, c);
  row(
    'SIGKILL c → a commit applied to each of its syncs',
    `${f.ms === undefined ? 'not within 60 s' : s(f.ms)} (${f.moved} syncs moved; survivors' shards moved: ${f.survivorsMoved})`,
  );
  row('2 replicas: spread', spread(await holders(b), [a, bb]));
  const m = await rejoin(b, c);
  row('c started again: shards moved', m === undefined ? 'not settled within 90 s' : `${m} of ${N} (⅓ = ${Math.round(N / 3)})`);
  row('3 replicas again: spread', spread(await holders(b), IDS));
  const after = await commitAndWait(b);
  row('after rejoin: commit → all applied', after.ms === undefined ? 'not within 60 s' : s(after.ms));
  const w = await writebackFailover(b);
  row(
    'SIGKILL the shard-0 owner → a new tag committed by its successor',
    `${w.ms === undefined ? 'not within 90 s' : s(w.ms)} (killed ${w.owner.slice(w.owner.lastIndexOf('-') + 1)}; its restart moved shard 0 back: ${w.rejoinMovedShard0 ? 'yes' : 'no'})`,
  );
}
