// Public surface of the Git source.
export { GitSource, type FetchTimings, type GitSourceOptions } from './git-source.js';
export { SourceError, stripUserinfo, type SourceErrorReason } from './errors.js';
export { FileNotFoundError, GitRevision } from './revision.js';
export { describeRef, pickSemverTag } from './refs.js';
export { CommitSignatureError, verifyCommitSignature, type VerifiedSignature } from './signature/commit.js';
export { parseAllowedSigners, AllowedSignersError } from './signature/allowed-signers.js';
export { SshReader } from './signature/sshsig.js';
export type {
  GitCredentials,
  GitRefSpec,
  GitSourceSpec,
  HeadHint,
  ResolvedRef,
  Revision,
  SignatureVerification,
  SourceStats,
} from './types.js';
