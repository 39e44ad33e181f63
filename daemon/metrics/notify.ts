// Notification and commit-status deliveries (daemon/notify), per channel: delivered messages,
// messages that failed after their retries (by reason) and messages dropped from a full queue
// or at shutdown. Labels are the channel's configured name, its kind and provider type — never
// a URL (a chat webhook's URL is its token).
import { Counter } from 'prom-client';
import { registry } from './registry.js';

const labelNames = ['provider', 'kind', 'type'] as const;

export const notifyDeliveries = new Counter({
  name: 'gitops_seal_notify_deliveries_total',
  help: 'Notifications and commit statuses delivered, per provider.',
  labelNames,
  registers: [registry],
});

export const notifyFailures = new Counter({
  name: 'gitops_seal_notify_failures_total',
  help: 'Notifications and commit statuses that failed after their retries, per provider and reason.',
  labelNames: [...labelNames, 'reason'] as const,
  registers: [registry],
});

export const notifyDropped = new Counter({
  name: 'gitops_seal_notify_dropped_total',
  help: 'Notifications and commit statuses dropped unsent (queue full: the oldest; shutdown), per provider.',
  labelNames: [...labelNames, 'reason'] as const,
  registers: [registry],
});

/** A channel's counters exist at 0 from the start (so rate() and absent() work before the first message). */
export function initNotifyMetrics(provider: string, kind: string, type: string): void {
  notifyDeliveries.inc({ provider, kind, type }, 0);
}

/** The counters as daemon/notify's NotifyMetrics wants them. */
export const notifyMetrics = {
  delivered: (provider: string, kind: string, type: string): void => notifyDeliveries.inc({ provider, kind, type }),
  failed: (provider: string, kind: string, type: string, reason: string): void => notifyFailures.inc({ provider, kind, type, reason }),
  dropped: (provider: string, kind: string, type: string, reason: string): void => notifyDropped.inc({ provider, kind, type, reason }),
};
