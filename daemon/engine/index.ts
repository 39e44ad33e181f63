// The engine: what a sync means at a revision (loadRevision, the one load path for the daemon
// and the CLI's build/diff) and how the daemon applies it (reconcile). See README.md.
export { loadRevision, type DesiredState, type LoadedRevision, type LoadInput } from './load.js';
export { applyDesired, needsValidation, reconcile, type SyncDeps, type SyncOutcome } from './reconcile.js';
export { guardedPrune, type PrunePlan } from './prune.js';
export { type FileCache, type FileCacheEntry } from './file-cache.js';
export { RevisionError, type RevisionStage } from './errors.js';
export {
  gitSourceSpec,
  kubeClientKey,
  kubeLoadOptions,
  managerOptions,
  syncSettings,
  type HomeSecrets,
  type SyncSettings,
} from './settings.js';
export { type ApplyPhase, type RenderContext } from './stages/render.js';
export { type ClusterRecipients } from './stages/bind.js';
export {
  cachedCapabilities,
  clusterCapabilities,
  findRenderers,
  newRenderCaches,
  type RenderCaches,
  type Renderers,
} from './stages/render-context.js';
export { PHASES, PhaseTimer, type Phase, type PhaseBreakdown, type ReconcileTimings } from './timings.js';
