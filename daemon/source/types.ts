// Public types of the Git source.
import type { CredentialProvider, GitCredentials, SshAuth } from '../git/index.js';

export type { GitCredentials };

/** Which revision of the remote a source follows. Exactly one key. */
export type GitRefSpec = { branch: string } | { tag: string } | { semver: string } | { commit: string };

export interface SignatureVerification {
  /** Path of an OpenSSH allowed-signers file (`ssh-keygen -Y verify` format). */
  allowedSignersFile: string;
}

export interface GitSourceSpec {
  name: string;
  /** http(s) URL of the repository (userinfo in it is accepted but moved to auth), or an SSH URL. */
  url: string;
  ref: GitRefSpec;
  /** Called before every remote operation, so rotated credentials are picked up. */
  auth?: CredentialProvider;
  /** Private key and known_hosts of an SSH URL, read before every remote operation. */
  ssh?: SshAuth;
  /** When set, a fetched commit must carry a valid SSH signature by an allowed signer. */
  verify?: SignatureVerification;
}

/**
 * What a signed webhook says the tracked ref names now (GitHub/Gitea/GitLab push payloads' `ref`
 * and `after`). Only a hint: the fetch asks for this commit at once and checks it against the
 * remote's own advertisement, read at the same time; the revision is always what the remote says.
 */
export interface HeadHint {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** 40-hex sha. */
  commit: string;
}

/** What `resolve()` found on the remote. */
export interface ResolvedRef {
  /** Commit sha (tags are peeled). */
  commit: string;
  /** Full ref name, e.g. `refs/heads/main`, `refs/tags/v1.2.0`; the sha itself for commit pins. */
  ref: string;
}

/** One fetched commit, read straight from the object store (no working tree). */
export interface Revision {
  commit: string;
  ref: string;
  /** All blob paths under `path` (recursive, repo-relative, `/`-separated, sorted). `''` = root. */
  listFiles(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Files under `path` whose repo-relative path passes `filter`, decoded as UTF-8. */
  readFiles(path: string, filter: (p: string) => boolean): Promise<{ path: string; text: string }[]>;
  /** Blob id of every file under `path`: equal ids mean equal content (callers cache by it). */
  fileIds?(path: string): Promise<Map<string, string>>;
  /**
   * Git tree id of `path` (null: no such directory). Equal ids mean every file under it is
   * equal: a sync whose path kept its tree id has nothing new to read (issue 18).
   */
  treeId?(path: string): Promise<string | null>;
}

/** Counters of the traffic a source made; exported as metrics and asserted on by tests. */
export interface SourceStats {
  requests: number;
  /** Response bytes received (info/refs advertisements + packs). */
  bytesReceived: number;
  /** fetch() calls that downloaded a pack. */
  fetches: number;
  /** fetch() calls answered from the cache because the remote did not move. */
  skippedFetches: number;
  /** Thin packs fetched again whole because they could not be completed safely (daemon/git TrafficStats). */
  thinPackFallbacks: number;
}
