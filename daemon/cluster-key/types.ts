// The validated form of `spec.clusterKey` (daemon/config/parse.ts builds it; holder.ts runs it).
// Types only: config/ imports this file without loading the key machinery (the rule at the top of
// daemon/config/types.ts).

export interface ClusterKeySpec {
  /** The leader keeps an age identity in a Secret of the daemon's namespace and publishes its recipient. */
  enabled: boolean;
  /** A new identity when the newest is this old (default 720h = 30 days, like Sealed Secrets); 0 = never. */
  rotateEveryMs: number;
  /** How often the leader checks the Secret: rotation due, ConfigMap to republish (default 1m). */
  checkIntervalMs: number;
}
