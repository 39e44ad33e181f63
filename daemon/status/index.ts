// What the daemon reports about itself: the /status document's types, the store the event bus
// feeds, and the status routes.
export type {
  ClusterKeyStatus,
  DaemonStatus,
  ImagePolicyStatus,
  LeaderElectionStatus,
  ShardingStatus,
  SourceStatus,
  SyncHistoryEntry,
  SyncStatus,
  ReconcileBreakdown,
} from './status.js';
export { StatusStore, type StatusLayout, type StatusProviders } from './store.js';
export { HISTORY_LIMIT } from './history.js';
export { statusRoutes, type FleetStatusSource } from './routes.js';
