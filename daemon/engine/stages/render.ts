// Stage 2', render (issue 15): a sync whose path holds a kustomization is rendered by kustomize,
// a `helm:` sync by helm; everything else is a plain directory and skips this stage. The render
// yields documents with their file of origin — the read stage's output — so parse, the
// still-encrypted check, scope/tenancy, the prune guard, dry-run, apply and inventory treat
// rendered objects exactly like committed YAML. A render failure refuses the revision: at
// `decrypt` for a tampered or wrong-key file (metrics keep its reason), else at `render`, each
// problem naming the file and carrying the tool's own message, redacted by daemon/render.
import type { KeyContext } from '../../../keys/index.js';
import { AggregateDecryptError } from '../../decrypt/index.js';
import { describe, type KubeObject } from '../../kube/types.js';
import type { DecodedFiles, ManifestDocument, ManifestObject } from '../../manifests/index.js';
import {
  HelmRenderError,
  RenderError,
  helmStatus,
  isKustomizeSync,
  renderHelm,
  renderKustomize,
  type ChartCache,
  type ClusterCapabilities,
  type HelmRenderResult,
  type HelmStatus,
} from '../../render/index.js';
import type { ObjectSeal, SealedFile } from '../../scope-binding/index.js';
import type { Revision } from '../../source/index.js';
import { refuse, type RevisionAt } from '../errors.js';
import type { SyncSettings } from '../settings.js';
import { rendererPath, type RenderCaches, type Renderers } from './render-context.js';
import { helmSealedFiles } from './bind.js';
import { scopesOf, type Discovery } from './scope.js';

/** Where rendered objects go in the apply: CRDs, then pre hooks, the release, post hooks. */
export type ApplyPhase = 'crds' | 'pre' | 'post';

/** What the render stage needs beyond the revision and the keys. */
export interface RenderContext {
  /** The binaries resolved once at start-up; default: looked up now (CLI). */
  renderers?: Renderers;
  /** The sync's render caches (kustomize, its verified SOPS files, helm); none: no caching. */
  caches?: RenderCaches;
  /** Fetched chart archives by digest; default: the process-wide cache. */
  chartCache?: ChartCache;
  /** The target cluster's `.Capabilities` (helm syncs only). */
  capabilities?: () => Promise<ClusterCapabilities>;
  /** Whether the sync applied this release before (`.Release.IsUpgrade`); default false. */
  isUpgrade?: () => Promise<boolean>;
  /** The environment `{env: …}` chart credentials read: the CLI's own, not process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Rendered {
  documents: DecodedFiles;
  decryptedFiles: string[];
  warnings: string[];
  /** Per document (by index): where its ciphertext came from (scope binding). */
  seals: (ObjectSeal | undefined)[];
  /** The SOPS files the render decrypted: recipients, documents, uses (scope binding). */
  sealed: ReadonlyMap<string, SealedFile>;
  /** Helm: the identity suffix of the revision, the status row and the apply phases. */
  helm?: { revisionSuffix: string; status: HelmStatus; phaseOf: Map<string, ApplyPhase> };
}

export interface RenderInput {
  settings: SyncSettings;
  revision: Revision;
  keys: KeyContext;
  mapper: Discovery;
  context?: RenderContext;
}

/** Which renderer a sync needs at this revision, if any. */
export async function rendererOf(revision: Pick<Revision, 'listFiles'>, settings: SyncSettings): Promise<'kustomize' | 'helm' | undefined> {
  if (settings.helm) return 'helm';
  return (await isKustomizeSync(revision, settings.path)) ? 'kustomize' : undefined;
}

function documentsOf(objects: readonly { object: Record<string, unknown> | KubeObject; file: string }[]): DecodedFiles {
  const documents: ManifestDocument[] = objects.map((o, index) => ({
    file: o.file,
    index,
    line: 1,
    value: o.object as unknown as ManifestDocument['value'],
    text: '',
  }));
  return { files: [...new Set(objects.map((o) => o.file))], documents, warnings: [], problems: [] };
}

/** Turn a renderer's typed failure into the revision's refusal (anything else propagates). */
function refuseRender(err: unknown, at: RevisionAt): never {
  if (err instanceof RenderError) {
    if (err.stage === 'decrypt') refuse(at, 'decrypt', [...err.problems], err.cause instanceof AggregateDecryptError ? err.cause : err);
    refuse(at, 'render', [...err.problems], err);
  }
  if (err instanceof HelmRenderError) {
    if (err.reason === 'values' && err.cause instanceof AggregateDecryptError) refuse(at, 'decrypt', [err.message], err.cause);
    refuse(at, 'render', [err.message], err);
  }
  throw err;
}

async function kustomize(input: RenderInput, at: RevisionAt): Promise<Rendered> {
  const { settings, context } = input;
  const bin = rendererPath(context?.renderers, 'kustomize', at);
  const spec = settings.render;
  const caches = context?.caches;
  const result = await renderKustomize({
    sync: settings.name,
    path: settings.path,
    revision: input.revision,
    keys: input.keys,
    kustomize: bin,
    ...(spec ? { allowRemoteHosts: spec.kustomize.allowRemoteHosts, timeoutMs: spec.timeoutMs, maxOutputBytes: spec.maxOutputBytes } : {}),
    ...(caches ? { cache: caches.kustomize, sourceCache: caches.sources } : {}),
  }).catch((err: unknown) => refuseRender(err, at));
  return {
    documents: documentsOf(result.objects),
    decryptedFiles: result.decryptedFiles,
    warnings: result.warnings,
    seals: result.objects.map((o) => o.seal),
    sealed: result.sealed,
  };
}

/**
 * helm template leaves metadata.namespace unset on most objects: namespaced ones (discovery, or
 * a CRD of the same render) land in the release namespace here, before tenancy — so a chart
 * that writes another namespace explicitly is refused by allowedNamespaces like plain YAML.
 */
async function inReleaseNamespace(objects: readonly ManifestObject[], namespace: string, mapper: Discovery): Promise<ManifestObject[]> {
  const kube = objects.map((o) => o.object as unknown as KubeObject);
  const scopes = await scopesOf(mapper, kube);
  return objects.map((o, i) => {
    const k = kube[i] as KubeObject;
    if (scopes.get(k) !== true || k.metadata.namespace) return o;
    return { ...o, object: { ...o.object, metadata: { ...k.metadata, namespace } } };
  });
}

async function helm(input: RenderInput, at: RevisionAt): Promise<Rendered> {
  const { settings, context } = input;
  const spec = settings.helm;
  if (!spec) throw new Error('helm render of a sync without helm settings');
  const bin = rendererPath(context?.renderers, 'helm', at);
  if (!context?.capabilities) refuse(at, 'render', ["helm: the target cluster's capabilities are unknown (no cluster connection)"]);
  const capabilities = await context.capabilities();
  const isUpgrade = (await context.isUpgrade?.()) ?? false;
  const result: HelmRenderResult = await renderHelm({
    sync: settings.name,
    release: spec.release,
    chart: spec.chart,
    valuesFiles: spec.valuesFiles,
    ...(spec.values ? { values: spec.values } : {}),
    includeCrds: spec.includeCrds,
    isUpgrade,
    capabilities,
    revision: input.revision,
    keys: input.keys,
    ...(context.env ? { env: context.env } : {}),
    tools: { helm: bin, bash: '/bin/bash' },
    ...(settings.render ? { timeoutMs: settings.render.timeoutMs, maxOutputBytes: settings.render.maxOutputBytes } : {}),
    ...(context.chartCache ? { cache: context.chartCache } : {}),
    ...(context.caches ? { renderCache: context.caches.helm } : {}),
  }).catch((err: unknown) => refuseRender(err, at));
  const ns = spec.release.namespace;
  const phased: [ApplyPhase | undefined, ManifestObject[]][] = [
    ['crds', result.crds],
    ['pre', result.hooks.pre.map((h) => h.manifest)],
    [undefined, result.objects],
    ['post', result.hooks.post.map((h) => h.manifest)],
  ];
  const phaseOf = new Map<string, ApplyPhase>();
  const all: ManifestObject[] = [];
  for (const [phase, objs] of phased) {
    for (const o of await inReleaseNamespace(objs, ns, input.mapper)) {
      if (phase) phaseOf.set(describe(o.object as unknown as KubeObject), phase);
      all.push(o);
    }
  }
  const skipped = result.skippedHooks.map((s) => `${s.file}: ${s.kind}/${s.name}: helm hook ${s.events.join(',')} not run: ${s.reason}`);
  return {
    documents: documentsOf(all),
    decryptedFiles: result.decryptedFiles,
    warnings: [...result.warnings, ...skipped],
    // Values files carry no object's ciphertext; stages/bind.ts reads their recipients.
    seals: [],
    sealed: await helmSealedFiles(input.revision, result.decryptedFiles),
    helm: { revisionSuffix: result.chart.digest.replace(/^sha256:/, '').slice(0, 12), status: helmStatus(result), phaseOf },
  };
}

/** Render the sync at this revision, or undefined for a plain directory (today's reader). */
export async function render(input: RenderInput, at: RevisionAt, known?: 'kustomize' | 'helm'): Promise<Rendered | undefined> {
  // `known`: the caller already asked rendererOf (it times that look at the tree apart).
  const which = known ?? (await rendererOf(input.revision, input.settings));
  if (which === 'helm') return helm(input, at);
  if (which === 'kustomize') return kustomize(input, at);
  return undefined;
}
