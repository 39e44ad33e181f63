// Typed errors of the Sealed Secrets reader. Messages name the key file or the SealedSecret and
// the cause, never a key or a value: they reach the CLI's stderr and the daemon's refusals.

/** Base class: everything this folder throws on bad input. */
export class SealedSecretsError extends Error {
  override name = 'SealedSecretsError';
}

/** A controller key file that holds no usable RSA private key, or a malformed one. */
export class KeyFileError extends SealedSecretsError {
  override name = 'KeyFileError';
  constructor(
    readonly source: string,
    cause: string,
  ) {
    super(`${source}: ${cause}`);
  }
}

/** Why a SealedSecret could not be turned into its Secret. */
export type UnsealCause =
  /** Not a SealedSecret the controller accepts (shape, deprecated spec.data, no namespace). */
  | 'malformed'
  /** No given key unwraps the session key under this scope's label: another key, scope, name or namespace. */
  | 'no-key-or-wrong-scope'
  /** The RSA part opened but AES-GCM authentication failed: the ciphertext was altered. */
  | 'tampered'
  /** A spec.template.data entry this reader cannot evaluate (Go template functions). */
  | 'template';

/** One SealedSecret refused; `problems` name each encryptedData key and its cause. */
export class UnsealError extends SealedSecretsError {
  override name = 'UnsealError';
  constructor(
    /** `SealedSecret namespace/name`. */
    readonly object: string,
    readonly reason: UnsealCause,
    readonly problems: readonly string[],
  ) {
    super(`${object}: ${problems.join('; ')}`);
  }
}
