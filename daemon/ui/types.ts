// spec.ui, validated (config/parse-ui.ts reads it): the web status page on the status listener.
// Types only (config/types.ts's rule): config imports this, the ui folder runs it.
import type { SecretRef } from '../secret-ref.js';

export interface UiTokenReviewSpec {
  /** Only these users may look (empty: any user the apiserver authenticates). */
  users: string[];
  /** Or members of these groups (empty with empty users: anyone authenticated). */
  groups: string[];
}

export interface UiSpec {
  /** Serve the page at all (default true). */
  enabled: boolean;
  /**
   * A bearer token callers must present when the listener binds beyond loopback: {env}, {file}
   * or {secret: {namespace, name, key}} (read in the daemon's home cluster), read per login so a
   * rotated token needs no restart.
   */
  tokenFrom?: SecretRef;
  /** Or: a Kubernetes TokenReview of the caller's own token against the home cluster. */
  tokenReview?: UiTokenReviewSpec;
}
