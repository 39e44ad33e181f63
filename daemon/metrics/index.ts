// Prometheus metrics of the daemon (served at GET /metrics through routes.ts).
// One module per concept; importing this index registers all of them.
export { registry, metricsText } from './registry.js';
export { watchStatus, type ClusterKeyRow, type SyncRow, type SyncRows } from './status-stores.js';
export { initSyncMetrics, observeSync, type SyncResult } from './sync.js';
export { initDecryptMetrics, recordDecryptFailures } from './decrypt.js';
export { initWritebackMetrics, recordWritebackRun } from './writeback.js';
export { setLeader } from './leader.js';
export { countShardMove, initShardMetrics, setShardOwned } from './shard.js';
export { initNotifyMetrics, notifyMetrics } from './notify.js';
export { followEvents } from './events.js';
export { metricsRoutes } from './routes.js';
import './registries.js';
import './cluster-key.js';
