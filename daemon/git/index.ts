// The git client shared by the source (fetch) and write-back (fetch, commit, push): the local
// object store, the transport interface and its HTTP implementation, credentials, and the one
// classification of failures. Import from here only.
export { redact, stripUserinfo, urlCredentials, type CredentialProvider, type GitCredentials } from './credentials.js';
export { classifyGitError, GitError, type GitErrorReason, type GitOperation } from './errors.js';
export {
  blobAt,
  commitTree,
  diffTrees,
  hasObject,
  isNotFound,
  listBlobs,
  normalizePath,
  peelToCommit,
  readBlob,
  treeAt,
  type ObjectStore,
} from './object-io.js';
export { openTransport, UnsupportedUrlError, unsupportedUrl, type TransportOptions } from './open-transport.js';
export { fingerprint as sshFingerprint, isSshUrl, type SshAuth, type SshKey } from './ssh/index.js';
export { MAX_PACKS, openStore, prepareStore, safeLabel, setRef, storeDir, storeHas, type PrepareOptions } from './store.js';
export type {
  AdvertisedRef,
  FetchRequest,
  FetchResult,
  GitTransport,
  ListRefsRequest,
  PushRequest,
  PushResult,
  TrafficStats,
} from './transport.js';
