// Public API of keys/: the SOPS v3 file format (YAML/JSON) with age and Vault/OpenBao transit
// master keys. Shared by the CLI and the daemon.
export type { FileFormat } from './sops/store.js';
export { formatFromPath } from './sops/store.js';
export type { CryptRule } from './sops/tree.js';
export type { MasterKeySpec, KeyContext, MasterKeysOfFile } from './sops/keyring.js';
export type { TransitAuth } from './vault/transit.js';
export { describeVaultError, loadNodeVault, parseTransitUri, transitUri } from './vault/transit.js';
export type { EncryptOptions, ReencryptOptions } from './sops/file.js';
export { encryptText, decryptText, reencryptText, isSopsEncrypted } from './sops/file.js';
export { decryptDotenvText, isSopsDotenv } from './sops/dotenv.js';
export { loadAgeIdentities, generateAgeIdentity, parseIdentityFile, defaultKeyFile } from './age/identities.js';
export { recipientOf as ageRecipientOf } from './age/recipients.js';
export { SopsError, TamperedError, NoMatchingKeyError, UnsupportedKeyTypeError, FormatError, VaultError } from './sops/errors.js';
export type { KeyAttempt } from './sops/errors.js';
export { SOPS_VERSION } from './sops/metadata.js';
// Whether sops (go-yaml) would read a plain scalar as something other than this string, or a
// YAML 1.1 reader (kubectl) would: for YAML the CLI writes and then hands to encryptText.
export { mustQuote as yamlNeedsQuotes } from './sops/yaml-resolve.js';
// The cluster-held key (issue 16): the Secret/ConfigMap format both the daemon and the CLI use.
export * from './cluster-key/index.js';
// Migration from Sealed Secrets (issue 16): controller keys and SealedSecret → Secret.
export * from './sealed-secrets/index.js';
