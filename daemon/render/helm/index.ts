// The door of Helm rendering: the render stage calls renderHelm; everything else is internal.
export { renderHelm, describeChart, renderIdentity } from './render.js';
export { HelmRenderError, type HelmErrorReason } from './errors.js';
export { helmStatus, type HelmStatus } from './status.js';
export { ChartCache, defaultChartCache } from './chart-cache.js';
export type {
  ChartIdentity,
  ChartSource,
  ClusterCapabilities,
  HelmHook,
  HelmReleaseSpec,
  HelmRenderInput,
  HelmRenderResult,
  HelmTools,
  HookEvent,
  HttpChartSource,
  OciChartSource,
  RevisionReader,
  SkippedHook,
} from './types.js';
