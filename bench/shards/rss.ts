// Resident memory of each live replica, from /proc.
import { readFileSync } from 'node:fs';
import type { ReplicaFleet } from '../../test/support/replica-fleet.js';
import { short } from './layout.js';

export function rssMb(fleet: ReplicaFleet): string {
  return fleet
    .live()
    .map((id) => {
      const pid = fleet.pid(id);
      const m = pid ? /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
      return `${short(id)} ${m ? Math.round(Number(m[1]) / 1024) : '?'} MB`;
    })
    .join(', ');
}
