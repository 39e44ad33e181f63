// The validated form of one `spec.images[]` entry (daemon/config/parse-images.ts builds it).
// Types only: config/ imports this file, and nothing here imports config/ (see the rule at the
// top of daemon/config/types.ts).

import type { LocalSecretRef } from '../secret-ref.js';
import type { ImageReference } from './reference.js';

export type ImageCredentialsSpec =
  { dockerConfigJsonFrom: LocalSecretRef } | { usernameFrom: LocalSecretRef; passwordFrom: LocalSecretRef };

export type SortOrder = 'asc' | 'desc';
export type PolicySpec = { semver: { range: string } } | { alphabetical: { order: SortOrder } } | { numerical: { order: SortOrder } };
export interface FilterTagsSpec {
  pattern: string;
  /** Go template over the pattern's groups, e.g. `$ts`; empty means the whole tag. */
  extract?: string;
}

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
