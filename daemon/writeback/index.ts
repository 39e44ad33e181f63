// Public surface of image-update write-back.
export { ImageUpdateAutomation, type AutomationStatus, type RunReason, type RunResult, type SourceRepo } from './automation.js';
export type { ImageUpdateSpec } from './types.js';
export { WritebackError, YamlEditError, type WritebackErrorReason } from './errors.js';
export { DEFAULT_MESSAGE_TEMPLATE, PLACEHOLDERS, renderMessage, unknownPlaceholders } from './message.js';
export { findMarkers, isCandidate, parseMarkerRef, type FoundMarker, type MarkerRef } from './markers.js';
export { BranchWriter, type BranchWriterOptions, type CommitInfo, type Produce, type PushTarget, type WriteResult } from './push.js';
export { fileSigner, sshSigner } from './sign.js';
export {
  applyPolicies,
  type ApplyResult,
  type Change,
  type ChangedFile,
  type ImagePolicyEntry,
  type PolicyValue,
  type SkippedMarker,
} from './update.js';
