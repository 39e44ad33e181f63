// The sync's `render` settings, as daemon/config reads them (types only; the spec-type rule
// of daemon/config/types.ts: config imports this file, nothing here imports config).

export interface KustomizeRenderSpec {
  /**
   * Hosts a kustomization's remote bases/resources/components may come from: an exact host
   * (`github.com`) or a subdomain wildcard (`*.corp.example`). Empty (the default): every remote
   * reference is refused before kustomize runs.
   */
  allowRemoteHosts: string[];
}

export interface RenderSpec {
  kustomize: KustomizeRenderSpec;
  /** Kill the renderer after this long (default 2m). */
  timeoutMs: number;
  /** Refuse a render whose output exceeds this many bytes (default 64 MiB). */
  maxOutputBytes: number;
}
