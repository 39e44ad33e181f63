// Kubernetes Events for syncs (core/v1 Event, like `kubectl describe` shows them). The involved
// object is the sync's inventory ConfigMap — the one object in the cluster that stands for the
// sync. Messages carry revisions, counts and error causes (file/object names), never values.
// Failing to record an event never fails a sync.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { INVENTORY_PREFIX } from '../inventory/inventory.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly component = 'gitops-seal',
  ) {}

  async record(sync: string, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const name = `${INVENTORY_PREFIX}${sync}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: this.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: `${INVENTORY_PREFIX}${sync}`, namespace: this.namespace },
      reason,
      // The apiserver caps messages at 1 KiB in practice for readability; keep the head.
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      type,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.request(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/events`, { method: 'POST', body });
    } catch {
      /* best effort: events are informational */
    }
  }
}
