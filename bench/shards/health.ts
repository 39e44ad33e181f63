// Health, sampled all along the run: renewal gaps of held shard Leases (from the apiserver) and
// the replicas' event-loop delay (prom-client's nodejs_eventloop_lag_max_seconds, reset at each
// scrape), and the replicas that exited on their own.
import type { ReplicaFleet } from '../../test/support/replica-fleet.js';
import { GROUP, LEASE_NS, short, T0 } from './layout.js';
import { row, s, sleep, sorted } from './report.js';
import type { Bench } from './state.js';

const renewGaps: number[] = [];
const loopMax = new Map<string, number>();
let unanswered = 0;

/** Samples until the returned stop() is called. */
export function startSampler(b: Pick<Bench, 'home' | 'fleet'>): { stop(): Promise<void> } {
  let sampling = true;
  const done = (async () => {
    const last = new Map<string, { holder: string; renew: number }>();
    for (let tick = 0; sampling; tick++) {
      const list = await b.home
        .request<{ items: { metadata: { name: string }; spec?: { holderIdentity?: string; renewTime?: string } }[] }>(
          `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases`,
          { query: { labelSelector: `gitops-seal.io/lease-group=${GROUP}` } },
        )
        .catch(() => ({ items: [] }));
      // Shard Leases only: a killed replica's member Lease is renewed again when it restarts.
      for (const l of list.items.filter((x) => x.metadata.name.includes('-shard-'))) {
        const holder = l.spec?.holderIdentity ?? '';
        const renew = Date.parse(l.spec?.renewTime ?? '');
        const prev = last.get(l.metadata.name);
        if (prev && holder !== '' && prev.holder === holder && renew > prev.renew) renewGaps.push(renew - prev.renew);
        last.set(l.metadata.name, { holder, renew });
      }
      if (tick % 2 === 0)
        await Promise.all(
          b.fleet.live().map(async (id) => {
            try {
              const res = await fetch(`${b.fleet.url(id)}/metrics`, { signal: AbortSignal.timeout(5000) });
              const m = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await res.text());
              if (m) loopMax.set(id, Math.max(loopMax.get(id) ?? 0, Number(m[1]) * 1000));
            } catch {
              if (b.fleet.live().includes(id)) unanswered++;
            }
          }),
        );
      await sleep(1000);
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await done;
    },
  };
}

export function healthRows(fleet: ReplicaFleet): void {
  const g = sorted(renewGaps);
  const q = (p: number): number => g[Math.min(g.length - 1, Math.floor(p * g.length))] ?? Number.NaN;
  row(
    'held shard Lease renewal gaps (renewTime)',
    `median ${s(q(0.5))}, p99 ${s(q(0.99))}, max ${s(g[g.length - 1] ?? Number.NaN)}; ${g.filter((x) => x > 4000).length} of ${g.length} over 4 s`,
  );
  row(
    'event-loop delay max per replica',
    `${[...loopMax].map(([id, ms]) => `${short(id)} ${s(ms)}`).join(', ')}; /metrics unanswered within 5 s: ${unanswered}`,
  );
  row(
    'replicas that exited on their own',
    fleet.exits.length === 0
      ? '0'
      : fleet.exits.map((e) => `${short(e.identity)} (exit ${e.code}, ${e.reason}) at +${s(e.at - T0)}`).join('; '),
  );
}
