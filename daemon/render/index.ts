// Rendering a sync's path with kustomize (and, from the Helm helper, helm): the one home of
// every renderer, reached through this door. See README.md for the secrets design.
export {
  renderKustomize,
  isKustomizeSync,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_RENDER_TIMEOUT_MS,
  type KustomizeRenderInput,
  type KustomizeRenderResult,
} from './kustomize.js';
export type { RenderedObject } from './decrypt-output.js';
export type { OpenedSourceCache } from './sops-sources.js';
export { RenderError, type RenderStage } from './errors.js';
export { RenderCache, renderKey, contentId, type RenderKeyParts } from './cache.js';
export { runTool, cleanEnv, redactToolText, RenderToolError, type ToolRun, type ToolOutput, type RenderToolFailure } from './tool.js';
export { withScratch, scratchRoot, sweepScratch, writeScratchFile, writeScratchFiles, SCRATCH_PREFIX } from './scratch.js';
export { FifoFeeder, makeFifos, type FifoSource } from './fifo.js';
export { findRenderer, RendererNotFoundError, type Renderer } from './bins.js';
export { remoteHost, hostAllowed, allowListEntryProblem } from './remote.js';
export type { RenderSpec, KustomizeRenderSpec } from './types.js';
export * from './helm/index.js';
// For `gitops-seal check` (secretGenerator sources): what a kustomization names, and whether a source is SOPS.
export { parseKustomization, KUSTOMIZATION_FILES, type KustomizationRef } from './kustomization.js';
export { isEncryptedSource, sopsFormatOf } from './sops-sources.js';
