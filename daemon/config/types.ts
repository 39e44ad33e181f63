// The validated, defaulted DaemonConfig. Durations are in milliseconds; file paths are absolute when the
// config came from a file (relative paths in it are relative to the config file's directory).
//
// Where spec types live (one rule):
// - A spec type (the validated form of a config object) is declared in the `types.ts` of the
//   folder whose code runs it: images/types.ts (ImageSpec), writeback/types.ts (ImageUpdateSpec),
//   decrypt/types.ts (DecryptionSpec: decrypt/sync-keys.ts turns it into a sync's keys),
//   render/types.ts (RenderSpec), render/helm/types.ts (HelmReleaseSpec) and
//   cluster-key/types.ts (ClusterKeySpec), notify/types.ts (NotificationsSpec, CommitStatusSpec).
//   Such a file holds types only and imports only types (its own folder's, and secret-ref).
// - The objects that no single folder runs (the envelope, sources, syncs) are
//   declared here.
// - config/ imports those types and the folders' pure validators (policy, image reference, Go
//   regexp, message placeholders); no folder config/ imports may import config/ back. A
//   reference to a secret is daemon/secret-ref.ts's SecretRef, a leaf every folder may import.

import type { LocalSecretRef, SecretRef } from '../secret-ref.js';
import type { DecryptionSpec } from '../decrypt/types.js';
import type { ImageSpec } from '../images/types.js';
import type { ImageUpdateSpec } from '../writeback/types.js';
import type { RenderSpec } from '../render/types.js';
import type { HelmReleaseSpec } from '../render/helm/types.js';
import type { ClusterKeySpec } from '../cluster-key/types.js';
import type { CommitStatusSpec, NotificationsSpec } from '../notify/types.js';
import type { UiSpec } from '../ui/types.js';

export const API_VERSION = 'gitops-seal.io/v1alpha1';
export const KIND = 'DaemonConfig';
/** Loopback by default: the endpoints (metrics, health, webhooks) are opted into the network explicitly. */
export const DEFAULT_LISTEN = '127.0.0.1:9797';

export type GitRef = { branch: string } | { tag: string } | { semver: string } | { commit: string };

export interface SourceSpec {
  name: string;
  /** http(s) URL of the repository, without credentials, or an SSH URL (then `ssh` is set). */
  url: string;
  ref: GitRef;
  /** Poll interval (default 1m). */
  intervalMs: number;
  /** Random extra delay, as a percentage of the interval (default 10). */
  jitterPercent: number;
  credentials?: { usernameFrom?: LocalSecretRef; passwordFrom: LocalSecretRef };
  webhook?: { type: 'github' | 'gitlab' | 'generic'; secretFrom: LocalSecretRef };
  /** Require commits signed by a key in this SSH allowed-signers file (ed25519). */
  verify?: { allowedSignersFile: string };
  /**
   * SSH url: the deploy key and the known_hosts its host key is checked against (or the explicit
   * opt-out). A `{secret: …}` reference is read from the daemon's home cluster (where its pods run).
   */
  ssh?: {
    privateKeyFrom: SecretRef;
    passphraseFrom?: SecretRef;
  } & ({ knownHostsFrom: SecretRef } | { insecureIgnoreHostKey: true });
}

export interface SyncSpec {
  name: string;
  /** Name of a SourceSpec. */
  source: string;
  /** Directory in the repository, normalized ("" is the root; "" too for a helm sync). */
  path: string;
  prune: boolean;
  /** Full drift check interval (default 5m). */
  intervalMs: number;
  /** Apply timeout (default 2m). */
  timeoutMs: number;
  targetNamespace?: string;
  allowedNamespaces?: string[];
  /** Absent: in-cluster config, else the current context of the default kubeconfig. */
  kubeconfig?: { file?: string; context?: string };
  wait: boolean;
  /** Force field-manager conflicts (default true). */
  force: boolean;
  /** Refuse to prune more than this fraction of the inventory in one sync (default 0.5). */
  maxPruneRatio: number;
  /** Allow a sync whose path yields no objects (which would prune everything). */
  allowEmpty: boolean;
  decryption?: DecryptionSpec;
  /** Renderer limits and kustomize settings; present when `render:` is written (defaults filled in). */
  render?: RenderSpec;
  /** A Helm release instead of a path (render/helm/types.ts). */
  helm?: HelmReleaseSpec;
}

export interface DaemonConfig {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    listen: string;
    sources: SourceSpec[];
    syncs: SyncSpec[];
    /** Image automation; validated by its own module. */
    images: ImageSpec[];
    imageUpdates: ImageUpdateSpec[];
    /** The cluster-held age key (present when `clusterKey:` is written; cluster-key/types.ts). */
    clusterKey?: ClusterKeySpec;
    /** Alert messages to chat and webhooks (present when `notifications:` is written; notify/types.ts). */
    notifications?: NotificationsSpec;
    /** Commit statuses on the Git host (present when `commitStatus:` is written; notify/types.ts). */
    commitStatus?: CommitStatusSpec[];
    /** The web status page (present when `ui:` is written; ui/types.ts). Absent: on, loopback rules. */
    ui?: UiSpec;
  };
}
