// Typed errors for everything under keys/. Every message names the file (`source`) and the cause,
// and never contains a plaintext value: callers log these messages verbatim.

export class SopsError extends Error {
  /** The file (or other label) the operation was about, as passed by the caller in `source`. */
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.name = new.target.name;
    this.source = source;
  }
}

/** The MAC did not verify, or an authenticated value / data key failed to decrypt. */
export class TamperedError extends SopsError {
  constructor(source: string, detail: string, options?: { cause?: unknown }) {
    super(source, `file is tampered or corrupted: ${detail}`, options);
  }
}

export interface KeyAttempt {
  /** 'age' | 'hc_vault' | 'kms' | ... */
  type: string;
  /** Recipient, transit URI or other public identifier of the master key. */
  id: string;
  /** Why this key could not be used (no identity, Vault error, ...). */
  reason: string;
}

/** None of the master keys in the file could be used with the identities/credentials at hand. */
export class NoMatchingKeyError extends SopsError {
  readonly attempts: readonly KeyAttempt[];
  constructor(source: string, attempts: KeyAttempt[], options?: { cause?: unknown }) {
    const list =
      attempts.length === 0 ? 'the file lists no master keys' : attempts.map((a) => `${a.type} ${a.id} (${a.reason})`).join('; ');
    super(source, `no key could decrypt the data key: ${list}`, options);
    this.attempts = attempts;
  }
}

/** The file is only decryptable by key types this implementation does not support. */
export class UnsupportedKeyTypeError extends SopsError {
  readonly keyTypes: readonly string[];
  constructor(source: string, keyTypes: string[], detail = '') {
    super(
      source,
      `unsupported key type(s) ${keyTypes.join(', ')}: only age and hc_vault (transit) are supported${detail ? `; ${detail}` : ''}`,
    );
    this.keyTypes = keyTypes;
  }
}

/** Malformed YAML/JSON, sops metadata or ENC[] value. `position` is "line:col" or a key path when known. */
export class FormatError extends SopsError {
  readonly position: string | undefined;
  constructor(source: string, detail: string, position?: string, options?: { cause?: unknown }) {
    super(source, `${position ? `at ${position}: ` : ''}${detail}`, options);
    this.position = position;
  }
}

/** Vault/OpenBao transit failure: unreachable, permission denied, missing key, bad response. */
export class VaultError extends SopsError {
  readonly address: string;
  readonly keyName: string;
  readonly status: number | undefined;
  constructor(
    source: string,
    address: string,
    enginePath: string,
    keyName: string,
    detail: string,
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(source, `vault transit ${address} ${enginePath}/keys/${keyName}: ${detail}`, options);
    this.address = address;
    this.keyName = keyName;
    this.status = status;
  }
}

/** Internal cause for a value that failed authenticated decryption; converted to TamperedError by the file layer. */
export class AuthFailure extends Error {}
