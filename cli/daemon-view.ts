// The daemon's view of one sync, for `gitops-seal build` and `gitops-seal diff`: load the
// DaemonConfig, fetch the sync's source head into a temporary object store (removed afterwards),
// build the sync's keys and ResourceManager exactly as the daemon does, and run the engine's
// loadRevision — the same code path that decides what the daemon applies. Decrypted objects live
// in memory only; callers must redact Secrets before printing anything.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ResourceManager, sortIntoStages } from '../daemon/apply/index.js';
import {
  ConfigError as DaemonConfigError,
  formatIssue,
  loadConfig,
  SecretRefError,
  type SourceSpec,
  type SyncSpec,
} from '../daemon/config/index.js';
import { KeySourceError, SyncKeys } from '../daemon/decrypt/index.js';
import {
  clusterCapabilities,
  findRenderers,
  gitSourceSpec,
  guardedPrune,
  kubeLoadOptions,
  loadRevision,
  managerOptions,
  RevisionError,
  syncSettings,
  type LoadedRevision,
  type PrunePlan,
  type RenderContext,
} from '../daemon/engine/index.js';
import { InventoryStore } from '../daemon/inventory/inventory.js';
import { KubeClient } from '../daemon/kube/client.js';
import { RESTMapper } from '../daemon/kube/discovery.js';
import { KubeApiError, KubeTransportError } from '../daemon/kube/errors.js';
import type { KubeObject } from '../daemon/kube/types.js';
import { homeKubeClient } from '../daemon/leader/index.js';
import { GitSource, SourceError } from '../daemon/source/index.js';
import { viewClusterRecipients } from './cluster-key/index.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, toCliError, type ExitCodeValue } from './errors.js';

export interface ViewOptions {
  /** DaemonConfig path as the user typed it. */
  config: string;
  sync: string;
  /**
   * `build` needs the cluster only for discovery when the sync has namespace rules; `diff`
   * always needs it.
   */
  mode: 'build' | 'diff';
}

export interface DaemonView {
  sync: SyncSpec;
  source: SourceSpec;
  commit: string;
  ref: string;
  /** What loadRevision returned (decrypted: memory only). */
  loaded: LoadedRevision;
  /** loaded.objects in the order the daemon applies them (CRDs, Namespaces, cluster-scoped, namespaced). */
  ordered: KubeObject[];
  kube: KubeClient;
  manager: ResourceManager;
  /** The daemon's prune decision for this revision against the sync's stored inventory. */
  prunePlan(): Promise<PrunePlan>;
  /** Set when the cluster could not be asked (build only): scopes were unknown, order is a guess. */
  offline?: string;
}

/**
 * A RESTMapper that answers "unknown" instead of failing when the apiserver cannot be asked
 * (unreachable, or credentials refused). Used by `build` for syncs without namespace rules,
 * where scope only affects the printed order. The first failure is remembered so later
 * lookups do not each wait for connection retries.
 */
class TolerantMapper extends RESTMapper {
  constructor(
    client: KubeClient,
    public unreachable?: string,
  ) {
    super(client);
  }

  override async find(apiVersion: string, kind: string): ReturnType<RESTMapper['find']> {
    if (this.unreachable !== undefined) return undefined;
    try {
      return await super.find(apiVersion, kind);
    } catch (err) {
      if (err instanceof KubeTransportError || (err instanceof KubeApiError && (err.status === 401 || err.status === 403))) {
        this.unreachable = err.message;
        return undefined;
      }
      throw err;
    }
  }
}

/** A ResourceManager with a given mapper (loadRevision is given `manager.mapper` for scopes). */
class ViewManager extends ResourceManager {
  override readonly mapper: RESTMapper;
  constructor(client: KubeClient, opts: ConstructorParameters<typeof ResourceManager>[1], mapper: RESTMapper) {
    super(client, opts);
    this.mapper = mapper;
  }
}

/**
 * A client that points nowhere, for `build` when the sync's kubeconfig cannot be loaded and
 * the cluster is not needed. Nothing is sent through it: the mapper is marked unreachable
 * up front and Secret-held identities are refused before SyncKeys would ask.
 */
async function detachedClient(): Promise<KubeClient> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  return KubeClient.fromKubeConfig(kc);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const STAGE_CODES: Partial<Record<RevisionError['stage'], ExitCodeValue>> = {
  decrypt: ExitCode.DECRYPT,
  source: ExitCode.REMOTE,
};

/** Map whatever the view's steps throw to a CliError (messages from daemon/ never carry values). */
export function viewError(err: unknown, opts: Pick<ViewOptions, 'config'>): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof DaemonConfigError) {
    // One line: the issues joined, each naming the field path (and line).
    const text = err.issues.map(formatIssue).join('; ');
    return new CliError(text, ExitCode.CONFIG, opts.config);
  }
  if (err instanceof RevisionError) return new CliError(err.message, STAGE_CODES[err.stage] ?? ExitCode.REFUSED);
  if (err instanceof SourceError || err instanceof KubeTransportError || err instanceof KubeApiError) {
    return new CliError(err.message, ExitCode.REMOTE);
  }
  if (err instanceof KeySourceError) return new CliError(err.message, ExitCode.KEYS);
  if (err instanceof SecretRefError) return new CliError(err.message, ExitCode.CONFIG, opts.config);
  return toCliError(err);
}

function pick(config: Awaited<ReturnType<typeof loadConfig>>, name: string, file: string): { sync: SyncSpec; source: SourceSpec } {
  const sync = config.spec.syncs.find((s) => s.name === name);
  if (!sync) {
    const names = config.spec.syncs.map((s) => s.name);
    throw new CliError(`no sync named "${name}" (syncs: ${names.join(', ') || 'none'})`, ExitCode.CONFIG, file);
  }
  // The parser guarantees every sync names an existing source.
  const source = config.spec.sources.find((s) => s.name === sync.source);
  if (!source) throw new CliError(`sync "${name}": no source named "${sync.source}"`, ExitCode.CONFIG, file);
  return { sync, source };
}

function hasNamespaceRules(s: SyncSpec): boolean {
  // A Helm release lands in a namespace, and which of its kinds are namespaced decides where.
  return s.targetNamespace !== undefined || s.allowedNamespaces !== undefined || s.helm !== undefined;
}

/** Why loadRevision asked the cluster's discovery, naming only the namespace rules the sync sets. */
function discoveryPurpose(s: SyncSpec): string {
  const rules = [
    s.targetNamespace !== undefined ? 'targetNamespace' : '',
    s.allowedNamespaces !== undefined ? 'allowedNamespaces' : '',
  ].filter(Boolean);
  if (s.helm) rules.push('the Helm release (.Capabilities and its namespace)');
  if (rules.length > 0) return `discovery (which kinds are namespaced) needed for ${rules.join(' and ')}`;
  return 'discovery (which kinds are namespaced, to compare each object with the cluster)';
}

function usesSecretIdentities(s: SyncSpec): boolean {
  return (s.decryption?.age?.identitiesFrom ?? []).some((r) => 'secret' in r);
}

async function connect(ctx: CliContext, opts: ViewOptions, sync: SyncSpec): Promise<{ kube: KubeClient; offline?: string }> {
  const needed = opts.mode === 'diff' || hasNamespaceRules(sync) || usesSecretIdentities(sync);
  try {
    // build only asks discovery: a short timeout keeps an unreachable cluster from stalling it.
    // ctx.env, not process.env, says where the kubeconfig is (KUBECONFIG, HOME).
    const kube = await KubeClient.load({ ...kubeLoadOptions(sync, ctx.env), env: ctx.env }, needed ? {} : { timeoutMs: 5_000 });
    return { kube };
  } catch (err) {
    if (!needed) return { kube: await detachedClient(), offline: `kubeconfig not loaded: ${message(err)}` };
    const why =
      opts.mode === 'diff' ? 'diff compares with the cluster' : 'the sync needs the cluster (namespace rules or identities in a Secret)';
    throw new CliError(`sync "${sync.name}": cannot load kubeconfig (${why}): ${message(err)}`, ExitCode.REMOTE);
  }
}

/** Run `fn` on the daemon's view of one sync; every temporary resource is released afterwards. */
export async function withDaemonView<T>(ctx: CliContext, opts: ViewOptions, fn: (view: DaemonView) => Promise<T>): Promise<T> {
  let cacheDir: string | undefined;
  let kube: KubeClient | undefined;
  // The daemon reads a source's SSH key from Secrets of its home cluster; so does the view (only when one is named).
  let home: Promise<KubeClient> | undefined;
  try {
    const config = await loadConfig(ctx.resolvePath(opts.config));
    const { sync, source } = pick(config, opts.sync, opts.config);
    const conn = await connect(ctx, opts, sync);
    kube = conn.kube;
    const tolerant = opts.mode === 'build' && !hasNamespaceRules(sync);
    const manager = tolerant
      ? new ViewManager(kube, managerOptions(sync), new TolerantMapper(kube, conn.offline))
      : new ResourceManager(kube, managerOptions(sync));

    // A fresh object store per run: build/diff must show the remote head, never a stale cache,
    // and leave nothing behind.
    cacheDir = await mkdtemp(join(tmpdir(), 'gitops-seal-view-'));
    const revision = await new GitSource(
      gitSourceSpec(source, ctx.env, () => (home ??= homeKubeClient(ctx.env))),
      cacheDir,
    ).fetch();
    const keys = await new SyncKeys(sync.name, sync.decryption, kube, ctx.env).context();
    const settings = syncSettings(sync);
    let loaded: LoadedRevision;
    try {
      // The daemon's render stage, with this cluster's capabilities and the sync's inventory
      // (helm's IsUpgrade); no render cache: every run renders the remote head afresh.
      const render: RenderContext = {
        renderers: findRenderers(ctx.env),
        env: ctx.env,
        capabilities: () => clusterCapabilities(conn.kube, new RESTMapper(conn.kube)),
        isUpgrade: async () => ((await new InventoryStore(conn.kube).load(sync.name))?.entries.length ?? 0) > 0,
      };
      const clusterRecipients = sync.decryption?.clusterKey ? viewClusterRecipients(kube, ctx.env) : undefined;
      loaded = await loadRevision({
        settings,
        revision,
        keys,
        mapper: manager.mapper,
        render,
        ...(clusterRecipients ? { clusterRecipients } : {}),
      });
    } catch (err) {
      if (err instanceof KubeTransportError)
        throw new CliError(`sync "${sync.name}": ${discoveryPurpose(sync)} failed: ${err.message}`, ExitCode.REMOTE);
      throw err;
    }
    // Unknown scope (no cluster, or a kind nobody serves yet): guess from metadata.namespace.
    const stages = sortIntoStages(loaded.objects, (o) => loaded.namespaced.get(o) ?? o.metadata.namespace !== undefined);
    const unreachable = manager.mapper instanceof TolerantMapper ? manager.mapper.unreachable : undefined;
    const view: DaemonView = {
      sync,
      source,
      commit: revision.commit,
      ref: revision.ref,
      loaded,
      ordered: stages.flatMap((s) => s.objects),
      kube,
      manager,
      prunePlan: async () => guardedPrune(await new InventoryStore(conn.kube).load(sync.name), loaded, settings),
      ...(unreachable !== undefined ? { offline: unreachable } : {}),
    };
    return await fn(view);
  } catch (err) {
    throw viewError(err, opts);
  } finally {
    kube?.close();
    if (home) (await home.catch(() => undefined))?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  }
}
