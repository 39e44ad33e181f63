// Scope binding (issue 16 item 6): files encrypted to the cluster-held key apply only where
// their encrypted `gitops-seal.dev/scope` claim allows. Pure: the engine's bind stage
// (daemon/engine/stages/bind.ts) and the kustomize render reach it through this door. README.md.
export {
  CLAIM_ANNOTATION,
  CLAIM_PATH,
  ClaimSyntaxError,
  claimAllows,
  claimText,
  formatClaim,
  parseClaim,
  type ScopeClaim,
  type Target,
} from './claim.js';
export {
  committedClaim,
  committedDocuments,
  isCiphertext,
  plainSeals,
  recipientsOf,
  sealedFile,
  type ObjectSeal,
  type SealedFile,
  type SealedUse,
  type SealOrigin,
  type SourceFormat,
} from './sources.js';
export { bindingProblems, CLAIM_FIX, toCluster, type BindingInput, type BindingProblem, type BoundObject } from './check.js';
