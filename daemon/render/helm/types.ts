// The input a render stage hands to renderHelm and the result it gets back. Types only.
// Credentials are references (resolved when a chart is fetched), never values.

import type { KeyContext } from '../../../keys/index.js';
import type { ImageCredentialsSpec } from '../../images/types.js';
import type { ManifestObject } from '../../manifests/index.js';
import type { Revision } from '../../source/index.js';
import type { ChartCache } from './chart-cache.js';
import type { RenderCache } from '../cache.js';

/** Where the chart comes from. */
export type ChartSource =
  /** A chart directory in the sync's own Git revision (repo-relative path). */
  | { git: { path: string } }
  /** An HTTP(S) chart repository: `<url>/index.yaml` lists the versions and their .tgz URLs. */
  | { repository: HttpChartSource }
  /** An OCI registry: `oci://host[:port]/path/name`, tags are chart versions. */
  | { oci: OciChartSource };

export interface HttpChartSource {
  /** Repository URL, e.g. `https://charts.example.com/stable` (index.yaml lives under it). */
  url: string;
  /** Chart name as listed in index.yaml. */
  chart: string;
  /** Semver range (Masterminds syntax, as Helm); absent: the highest stable version. */
  version?: string;
  /** Sent only to the repository's own origin (Helm's default without --pass-credentials). */
  credentials?: ImageCredentialsSpec;
  /** PEM CA bundle file for a repository behind a private CA. */
  caFile?: string;
}

export interface OciChartSource {
  /** `oci://host[:port]/path/name`. */
  url: string;
  /** Semver range over the tags (`+` in a version is `_` in its tag, as Helm pushes it). */
  version?: string;
  /** Manifest digest pin (`sha256:…`, what `helm push` prints); wins over `version`. */
  digest?: string;
  credentials?: ImageCredentialsSpec;
  /** Plain HTTP (loopback registries are always allowed plain HTTP). */
  insecure?: boolean;
  caFile?: string;
}

/**
 * A sync's `helm:` as daemon/config reads it (validated, defaulted): which chart, which release,
 * which values. The render stage turns it into a HelmRenderInput.
 */
export interface HelmReleaseSpec {
  chart: ChartSource;
  /** Defaults: the sync's name; the sync's targetNamespace, else `default`. */
  release: { name: string; namespace: string };
  /** Repo-relative, normalized, in order (later wins); SOPS files are decrypted in memory. */
  valuesFiles: string[];
  /** Inline values, merged last. */
  values?: Record<string, unknown>;
  /** Render `crds/` (config `includeCRDs`, default true). */
  includeCrds: boolean;
}

/** What the target cluster serves: becomes `.Capabilities` (`--kube-version`, `--api-versions`). */
export interface ClusterCapabilities {
  /** e.g. `v1.35.4` (the apiserver's /version gitVersion). */
  kubeVersion: string;
  /** Every served `group/version` and `group/version/Kind` (discovery), as `helm install` sees them. */
  apiVersions: readonly string[];
}

/** The parts of a Git revision the render reads: the chart dir (git charts) and values files. */
export type RevisionReader = Pick<Revision, 'listFiles' | 'readFile'> & Partial<Pick<Revision, 'fileIds'>>;

export interface HelmTools {
  /** Path of the `helm` binary (v4). */
  helm: string;
  /** Path of `bash`: its process substitution turns our stdio sockets into pipes helm can open. */
  bash: string;
}

export interface HelmRenderInput {
  /** Sync name, for errors. */
  sync: string;
  release: { name: string; namespace: string };
  chart: ChartSource;
  /** Repo-relative values files, in order (later wins). SOPS-encrypted ones are decrypted in memory. */
  valuesFiles?: readonly string[];
  /** Inline values from the DaemonConfig, merged after every file (highest precedence, as Flux). */
  values?: Record<string, unknown>;
  capabilities: ClusterCapabilities;
  /** Render `crds/` (default true). */
  includeCrds?: boolean;
  /** `.Release.IsUpgrade` (the sync has applied this release before); default false (install). */
  isUpgrade?: boolean;
  revision: RevisionReader;
  keys: KeyContext;
  /** Environment that `{env: …}` credential references read (default process.env). */
  env?: NodeJS.ProcessEnv;
  tools: HelmTools;
  /** Whole render (fetch + helm) deadline; default 120 s. */
  timeoutMs?: number;
  /** Largest helm output accepted; default 64 MiB. */
  maxOutputBytes?: number;
  /** Fetched charts by digest; default: the process-wide cache. */
  cache?: ChartCache;
  /** The last result per sync (render/cache.ts), keyed by identity and helm binary: a hit skips decryption and helm. */
  renderCache?: RenderCache<HelmRenderResult>;
  signal?: AbortSignal;
}

/** Which chart was rendered: part of the revision identity and of `/status`. */
export interface ChartIdentity {
  name: string;
  version: string;
  /**
   * `sha256:…`: OCI — the manifest digest; HTTP repository — the .tgz digest (verified against
   * the index); Git — a digest over the chart directory's (path, blob id) list.
   */
  digest: string;
  /** Where it came from, without credentials: `oci://…`, the .tgz URL, or `git:<path>`. */
  source: string;
  appVersion?: string;
}

export type HookEvent =
  | 'pre-install'
  | 'post-install'
  | 'pre-upgrade'
  | 'post-upgrade'
  | 'pre-delete'
  | 'post-delete'
  | 'pre-rollback'
  | 'post-rollback'
  | 'test'
  | 'test-success';

/** A hook the sync applies around the release's main objects (see hooks.ts for the rule). */
export interface HelmHook {
  manifest: ManifestObject;
  events: HookEvent[];
  /** `helm.sh/hook-weight`, ascending apply order inside a phase (Helm's order). */
  weight: number;
  /** `helm.sh/hook-delete-policy` values, for the apply stage to honour. */
  deletePolicies: string[];
}

/** A hook this daemon does not run, and why: reported in status, never dropped silently. */
export interface SkippedHook {
  file: string;
  kind: string;
  name: string;
  events: string[];
  reason: string;
}

export interface HelmRenderResult {
  chart: ChartIdentity;
  /** sha256 over the values as committed (ciphertext for SOPS files) and the inline values. */
  valuesDigest: string;
  /** sha256 over everything that determines the output: equal identity, equal render. */
  identity: string;
  /** The values files that were SOPS-encrypted, verified and decrypted in memory. */
  decryptedFiles: string[];
  /** CustomResourceDefinitions (`crds/` and templates), applied first. */
  crds: ManifestObject[];
  /** The release's objects (everything that is neither a CRD nor a hook). */
  objects: ManifestObject[];
  /** Hooks by the phase they run in: `pre` before `objects`, `post` after them (weight order). */
  hooks: { pre: HelmHook[]; post: HelmHook[] };
  skippedHooks: SkippedHook[];
  /** helm's stderr lines that are warnings (redacted). */
  warnings: string[];
  /** Served from the render cache: helm did not run for this call. */
  cached: boolean;
}
