// Leadership of this replica. A single replica without leader election leads, so the gauge
// starts at 1; leader election calls setLeader() whenever it gains or loses the lease.
import { Gauge } from 'prom-client';
import { registry } from './registry.js';

const leaderGauge = new Gauge({
  name: 'gitops_seal_leader',
  help: '1 when this replica is the leader (applies and writes back), 0 when it stands by.',
  registers: [registry],
});
leaderGauge.set(1);

export function setLeader(isLeader: boolean): void {
  leaderGauge.set(isLeader ? 1 : 0);
}
