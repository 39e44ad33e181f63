// The DaemonConfig file: types, parsing/validation, durations and secret references.
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { parseDuration, formatDuration, DurationError } from './duration.js';
export {
  resolveSecretRef,
  describeSecretRef,
  SecretRefError,
  type SecretRef,
  type LocalSecretRef,
  type KubeSecretKeyRef,
} from '../secret-ref.js';
export { parseConfig, loadConfig, type ParseConfigOptions } from './parse.js';
export { FIELDS, didYouMean } from './fields.js';
export { DEFAULT_SA_TOKEN_FILE } from './parse-sync.js';
export { idleSources, nothingToDo } from './runnable.js';
export { expandString } from './expand.js';
export { API_VERSION, KIND, DEFAULT_LISTEN, type DaemonConfig, type SourceSpec, type SyncSpec, type GitRef } from './types.js';
