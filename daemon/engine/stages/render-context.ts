// What the render stage keeps between loads: the renderer binaries (resolved once at start-up;
// a missing one fails only the syncs that need it), each sync's render caches (memory only:
// they hold decrypted Secrets, like the file cache), and the target cluster's capabilities.
import type { KubeClient } from '../../kube/client.js';
import type { RESTMapper } from '../../kube/discovery.js';
import {
  findRenderer,
  RenderCache,
  RendererNotFoundError,
  type ClusterCapabilities,
  type HelmRenderResult,
  type KustomizeRenderResult,
  type OpenedSourceCache,
  type Renderer,
} from '../../render/index.js';
import { refuse, type RevisionAt } from '../errors.js';

/** Each renderer's binary, or why it was not found. */
export type Renderers = Record<Renderer, string | RendererNotFoundError>;

export function findRenderers(env: NodeJS.ProcessEnv = process.env): Renderers {
  const find = (r: Renderer): string | RendererNotFoundError => {
    try {
      return findRenderer(r, env);
    } catch (err) {
      if (err instanceof RendererNotFoundError) return err;
      throw err;
    }
  };
  return { kustomize: find('kustomize'), helm: find('helm') };
}

/** The binary of `r`, or the revision refused at `render` naming the binary and its variable. */
export function rendererPath(renderers: Renderers | undefined, r: Renderer, at: RevisionAt): string {
  const found = (renderers ?? findRenderers())[r];
  if (typeof found === 'string') return found;
  return refuse(at, 'render', [`this sync needs ${r}: ${found.message}`], found);
}

export interface RenderCaches {
  kustomize: RenderCache<KustomizeRenderResult>;
  /** Verified SOPS files of the last kustomize render, by blob id. */
  sources: OpenedSourceCache;
  helm: RenderCache<HelmRenderResult>;
}

export function newRenderCaches(): RenderCaches {
  return { kustomize: new RenderCache(), sources: new Map(), helm: new RenderCache() };
}

/**
 * `.Capabilities` as `helm install` builds them: the apiserver's /version and, from discovery,
 * every served `group/version` and `group/version/Kind`.
 */
export async function clusterCapabilities(
  client: Pick<KubeClient, 'request'>,
  mapper: Pick<RESTMapper, 'refresh'>,
): Promise<ClusterCapabilities> {
  const version = await client.request<{ gitVersion?: string }>('/version');
  const apiVersions = new Set<string>();
  for (const m of await mapper.refresh()) {
    const gv = m.group === '' ? m.version : `${m.group}/${m.version}`;
    apiVersions.add(gv);
    apiVersions.add(`${gv}/${m.kind}`);
  }
  return { kubeVersion: version.gitVersion ?? 'v1.0.0', apiVersions: [...apiVersions].sort() };
}

/** Capabilities asked at most once per `ttlMs` (discovery is dozens of requests). */
export function cachedCapabilities(ask: () => Promise<ClusterCapabilities>, ttlMs = 5 * 60_000): () => Promise<ClusterCapabilities> {
  let last: { at: number; value: ClusterCapabilities } | undefined;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.value;
    const value = await ask();
    last = { at: Date.now(), value };
    return value;
  };
}
