// The validated form of one `spec.images[]` entry (daemon/config/parse-images.ts builds it).

import type { ImageCredentialsSpec } from './credentials.js';
import type { FilterTagsSpec, PolicySpec } from './policy.js';
import type { ImageReference } from './reference.js';

export interface ImageSpec {
  name: string;
  /** As written in the config, e.g. `ghcr.io/org/app`, `nginx`. */
  image: string;
  ref: ImageReference;
  intervalMs: number;
  timeoutMs: number;
  credentials?: ImageCredentialsSpec;
  /** Plain HTTP to the registry. */
  insecure: boolean;
  /** PEM CA bundle file for the registry's TLS certificate. */
  caFile?: string;
  exclusionList: string[];
  policy: PolicySpec;
  filterTags?: FilterTagsSpec;
  /** Resolve the chosen tag's manifest digest (index digest for multi-arch images). */
  digestPinning: boolean;
  /**
   * Namespaces whose `<namespace>:<name>` markers this entry answers (daemon/writeback/policies.ts);
   * absent: none (only markers without a namespace).
   */
  namespaces?: string[];
  /** Answer `<namespace>:<name>` markers of any namespace no entry lists (explicit opt-in). */
  matchAnyNamespace?: boolean;
}
