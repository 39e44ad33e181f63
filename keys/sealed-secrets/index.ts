// Migration from Sealed Secrets (issue 16): the controller's private keys as they are exported,
// and SealedSecret → Secret exactly as the controller unseals it. In memory only.
export { SealedSecretsError, KeyFileError, UnsealError, type UnsealCause } from './errors.js';
export { parseSealingKeys, mergeSealingKeys, type SealingKey } from './private-keys.js';
export { scopeOf, scopeLabel, type SealingScope, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION } from './scope.js';
export {
  unsealSealedSecret,
  isSealedSecret,
  SEALED_SECRET_API_VERSION,
  type Unsealed,
  type UnsealedSecret,
  type UnsealOptions,
} from './unseal.js';
export { sealHybrid } from './hybrid.js';
