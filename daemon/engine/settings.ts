// How a validated DaemonConfig turns into what the engine, the Git source and the kube client
// take. Kept in one place so the daemon (runtime/) and the CLI's view of it (`gitops-seal build`,
// `gitops-seal diff`) can never disagree about what a sync means.
import { resolveSecretRef, type SourceSpec, type SyncSpec } from '../config/index.js';
import type { LoadOptions } from '../kube/client.js';
import type { GitCredentials, GitSourceSpec } from '../source/index.js';
import type { HelmReleaseSpec, RenderSpec } from '../render/index.js';
import type { SecretGetter, SecretRef } from '../secret-ref.js';

/** What the engine needs to know of one sync (from its SyncSpec, by syncSettings). */
export interface SyncSettings {
  name: string;
  path: string;
  prune: boolean;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  maxPruneRatio: number;
  allowEmpty: boolean;
  targetNamespace?: string;
  allowedNamespaces?: string[];
  /** Renderer limits and kustomize settings (daemon/render defaults when absent). */
  render?: RenderSpec;
  /** A Helm release instead of a path. */
  helm?: HelmReleaseSpec;
}

/** The engine's settings for one sync. */
export function syncSettings(s: SyncSpec): SyncSettings {
  return {
    name: s.name,
    path: s.path,
    prune: s.prune,
    force: s.force,
    wait: s.wait,
    timeoutMs: s.timeoutMs,
    maxPruneRatio: s.maxPruneRatio,
    allowEmpty: s.allowEmpty,
    ...(s.targetNamespace ? { targetNamespace: s.targetNamespace } : {}),
    ...(s.allowedNamespaces ? { allowedNamespaces: s.allowedNamespaces } : {}),
    ...(s.render ? { render: s.render } : {}),
    ...(s.helm ? { helm: s.helm } : {}),
  };
}

/** ResourceManager options of a sync: objects without a namespace land in targetNamespace (a Helm release's namespace). */
export function managerOptions(s: SyncSpec): { syncName: string; defaultNamespace?: string } {
  const ns = s.helm?.release.namespace ?? s.targetNamespace;
  return { syncName: s.name, ...(ns ? { defaultNamespace: ns } : {}) };
}

/**
 * KubeClient.load options of a sync: its kubeconfig file/context; without one, in-cluster
 * when running in a pod (and no $KUBECONFIG says otherwise), else the default kubeconfig.
 */
export function kubeLoadOptions(s: SyncSpec, env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const inCluster = !s.kubeconfig && !env.KUBECONFIG && !!env.KUBERNETES_SERVICE_HOST;
  return {
    ...(s.kubeconfig?.file ? { kubeconfig: s.kubeconfig.file } : {}),
    ...(s.kubeconfig?.context ? { context: s.kubeconfig.context } : {}),
    ...(inCluster ? { inCluster } : {}),
  };
}

/**
 * Cache key of the kube client of a sync: syncs with the same kubeconfig share one client. A
 * JSON pair, not a join: paths and context names may contain any separator (`a#b` + `c` and
 * `a` + `b#c` must not share a client, which would apply a sync to another cluster).
 */
export function kubeClientKey(s: SyncSpec): string {
  return JSON.stringify([s.kubeconfig?.file || '', s.kubeconfig?.context || '']);
}

/** The cluster a source's `{secret: …}` references are read from: the daemon's home cluster, loaded when first needed. */
export type HomeSecrets = () => Promise<SecretGetter>;

/**
 * The GitSource spec of a source. Credentials are resolved before every remote operation
 * (not here), so a rotated token file or Secret is picked up without a restart. `home` reads
 * the SSH references of the Kubernetes Secret form; without it they fail naming the Secret.
 */
export function gitSourceSpec(spec: SourceSpec, env: NodeJS.ProcessEnv = process.env, home?: HomeSecrets): GitSourceSpec {
  const creds = spec.credentials;
  const auth = creds
    ? async (): Promise<GitCredentials> => ({
        username: creds.usernameFrom ? await resolveSecretRef(creds.usernameFrom, env) : 'git',
        password: await resolveSecretRef(creds.passwordFrom, env),
      })
    : undefined;
  const read = async (ref: SecretRef): Promise<string> => resolveSecretRef(ref, env, 'secret' in ref && home ? await home() : undefined);
  const s = spec.ssh;
  const ssh: GitSourceSpec['ssh'] = s
    ? {
        key: async () => {
          const privateKey = await read(s.privateKeyFrom);
          return s.passphraseFrom ? { privateKey, passphrase: await read(s.passphraseFrom) } : { privateKey };
        },
        knownHosts: 'knownHostsFrom' in s ? () => read(s.knownHostsFrom) : 'insecure-ignore-host-key',
      }
    : undefined;
  return {
    name: spec.name,
    url: spec.url,
    ref: spec.ref,
    ...(auth ? { auth } : {}),
    ...(ssh ? { ssh } : {}),
    ...(spec.verify ? { verify: spec.verify } : {}),
  };
}
