// The cluster-held key (spec.clusterKey), read from the status stores at scrape time like the
// per-sync gauges: when the current key was made (alert when rotation stalls) and, per sync, the
// files only a retired key opens (alert before anyone prunes a retired key). Public facts only.
import { Gauge } from 'prom-client';
import { registry } from './registry.js';
import { watchedClusterKeys } from './status-stores.js';

new Gauge({
  name: 'gitops_seal_cluster_key_created_timestamp_seconds',
  help: 'Unix time the current cluster key was created (absent until the daemon has read its Secret).',
  registers: [registry],
  collect() {
    this.reset();
    for (const k of watchedClusterKeys()) if (k.created) this.set(Date.parse(k.created) / 1000);
  },
});

new Gauge({
  name: 'gitops_seal_cluster_key_retired_only_files',
  help: "Files of a sync's applied revision that only a retired cluster key decrypts (gitops-seal updatekeys moves them to the current key).",
  labelNames: ['sync'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const k of watchedClusterKeys()) for (const [sync, n] of Object.entries(k.retiredOnly)) this.set({ sync }, n);
  },
});
