// Double writes and ping-pongs from the target clusters' audit logs, split into steady revision
// windows and windows that overlap a membership event (a handover).
import { doubleWrites, pingPongs, readAuditWrites, writesPerReplica, type AuditWrite, type Window } from '../../test/support/audit-log.js';
import { short } from './layout.js';
import { handovers, row, sorted } from './report.js';
import type { Bench } from './state.js';

/** Writes in `windows`: objects written by two replicas, and A,B,A within one window. */
function doubles(writes: AuditWrite[], windows: Window[]): { doubles: number; objects: string[]; pingPongs: number } {
  const d = doubleWrites(writes, windows);
  const pp = windows.flatMap((w) => pingPongs(writes.filter((x) => x.at >= w.from && x.at < w.to)));
  return {
    doubles: d.length,
    objects: d.slice(0, 3).map((x) => `${x.window} ${x.object} by ${x.replicas.map(short).join('+')}`),
    pingPongs: pp.length,
  };
}

export function auditReport(b: Bench, t0: number): void {
  const writes = b.clusters.flatMap((c) => readAuditWrites(c.info.auditLog!)).sort((x, y) => x.at - y.at);
  const rounds = sorted([...b.repo.pushedAt.keys()]);
  const windows: Window[] = rounds.map((r, i) => ({
    name: `round ${r}`,
    from: i === 0 ? t0 : b.repo.pushedAt.get(r)!,
    to: i + 1 < rounds.length ? b.repo.pushedAt.get(rounds[i + 1]!)! : Date.now() + 1,
  }));
  // A replica that exited on its own: its shards move after their leases (revive() covers the rest).
  for (const e of b.fleet.exits) handovers.push({ from: e.at, to: e.at + 30_000, what: `exit ${short(e.identity)}` });
  const isHandover = (w: Window): boolean => handovers.some((h) => h.from < w.to && h.to >= w.from);
  const steady = windows.filter((w) => !isHandover(w));
  const hand = windows.filter(isHandover);
  const st = doubles(writes, steady);
  const ho = doubles(writes, hand);
  const per = writesPerReplica(writes);
  row(
    'audited writes (3 apiservers)',
    `${writes.length}: ${Object.entries(per)
      .map(([r, n]) => `${short(r)} ${n}`)
      .join(', ')}`,
  );
  row(`steady windows (${steady.length})`, `${st.doubles} objects written by two replicas, ${st.pingPongs} A,B,A`);
  row(
    `handover windows (${hand.length})`,
    `${ho.doubles} objects written by two replicas (a new owner re-applying the head it acquired would count here), ${ho.pingPongs} A,B,A`,
  );
  for (const o of [...st.objects, ...ho.objects]) console.log(`[shards]   e.g. ${o}`);
  row('A,B,A over the whole run', `${pingPongs(writes).length} objects (a shard returning to its restarted replica is one)`);
}
