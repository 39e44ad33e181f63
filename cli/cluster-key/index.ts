// The cluster-held key on the CLI's side (issue 16): fetch and pin its recipient (fetch, add),
// the backup rule the encrypting commands and `check` apply, and the admin's backup, restore and
// rotate. Heavy code (the Kubernetes client, age) is imported only when a command runs.
export { DEFAULT_NAMESPACE, type ClusterFlags } from './cluster.js';
export { runAdd, runFetch, type AddFlags, type PublicFlags } from './public-commands.js';
export { runBackup, type BackupFlags, type RestoreFlags } from './private-commands.js';
export { runRestore, runRotate } from './store-commands.js';
export {
  addBackupRuleOption,
  CLUSTER_KEY_ONLY_CODE,
  clusterHeldFor,
  clusterOnlyFinding,
  enforceBackupRule,
  keyOrigin,
  fileRecipients,
  governingPins,
  type BackupRuleFlags,
  type RecipientOrigin,
  type FileRecipients,
} from './backup-rule.js';
export { clusterHeldRecipients, parsePins, type ClusterKeyPin } from './pins.js';
export { viewClusterRecipients } from './view-binding.js';
