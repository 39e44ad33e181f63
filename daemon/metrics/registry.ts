// The process's one Prometheus registry. Everything the daemon exports at GET /metrics is
// registered here. Node's default process metrics keep their standard, unprefixed names
// (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...) so stock Node.js dashboards
// work; the daemon's own metrics are all named gitops_seal_*.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** The exposition text of every registered metric, with its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
