// Container registry traffic of image automation, per registry host. The counters live in
// daemon/images/metrics.ts (the clients bump them as they go); they are copied at scrape time.
import { Counter } from 'prom-client';
import { registryTotals, type RegistryStats } from '../images/metrics.js';
import { registry } from './registry.js';

function fromTotals(name: string, help: string, field: keyof RegistryStats): void {
  new Counter({
    name,
    help,
    labelNames: ['registry'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [host, stats] of Object.entries(registryTotals())) this.inc({ registry: host }, stats[field]);
    },
  });
}

fromTotals(
  'gitops_seal_registry_requests_total',
  'HTTP requests sent to a container registry (token requests and retries included).',
  'requests',
);
fromTotals('gitops_seal_registry_retries_total', 'Registry requests sent again after a 429, a 5xx or a transport error.', 'retries');
fromTotals('gitops_seal_registry_rate_limited_total', 'HTTP 429 (Too Many Requests) answers from a registry.', 'rateLimited');
fromTotals('gitops_seal_registry_errors_total', 'Registry operations (tag list, manifest, token) that failed after retries.', 'errors');
