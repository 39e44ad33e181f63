// In-memory decryption of a revision's SOPS-encrypted manifest files. The plaintext exists only
// as strings in this process: it is handed to the manifest parser and then to the apply step,
// never written anywhere. Errors name the file and the cause (keys/ errors never carry values).
import {
  decryptText,
  formatFromPath,
  FormatError,
  isSopsEncrypted,
  NoMatchingKeyError,
  SopsError,
  TamperedError,
  UnsupportedKeyTypeError,
  VaultError,
  type KeyContext,
} from '../../keys/index.js';
import type { ManifestFile } from '../manifests/index.js';

/**
 * Why a file could not be decrypted, as one fixed word (metrics label it by this): tampered (the
 * MAC or a value failed to verify), no-key (no configured key opens the data key), vault
 * (transit unreachable or refusing), format (malformed sops metadata or ENC[] value),
 * unsupported-key (only key types we do not implement), not-covered (a document kept a sops
 * block), scope (a file encrypted to the cluster-held key, refused where its encrypted scope claim
 * does not allow it: daemon/scope-binding), other.
 */
export const DECRYPT_FAILURE_REASONS = [
  'tampered',
  'no-key',
  'vault',
  'format',
  'unsupported-key',
  'not-covered',
  'scope',
  'other',
] as const;
export type DecryptFailureReason = (typeof DECRYPT_FAILURE_REASONS)[number];

export function decryptFailureReason(err: unknown): DecryptFailureReason {
  if (err instanceof TamperedError) return 'tampered';
  if (err instanceof NoMatchingKeyError) return 'no-key';
  if (err instanceof VaultError) return 'vault';
  if (err instanceof FormatError) return 'format';
  if (err instanceof UnsupportedKeyTypeError) return 'unsupported-key';
  return 'other';
}

export class DecryptError extends Error {
  constructor(
    readonly file: string,
    cause: string,
    readonly reason: DecryptFailureReason = 'other',
  ) {
    super(`${file}: decryption failed: ${cause}`);
    this.name = 'DecryptError';
  }
}

export interface DecryptResult {
  files: ManifestFile[];
  /** Paths of the files that were encrypted. */
  decrypted: string[];
}

/**
 * Returns the files with every encrypted one replaced by its plaintext. All files are tried so
 * that every failure is reported at once; any failure throws an AggregateDecryptError.
 */
export async function decryptFiles(files: readonly ManifestFile[], ctx: KeyContext): Promise<DecryptResult> {
  const out: ManifestFile[] = [];
  const decrypted: string[] = [];
  const errors: DecryptError[] = [];
  for (const f of files) {
    const format = formatFromPath(f.path);
    if (!isSopsEncrypted(f.text, format)) {
      out.push(f);
      continue;
    }
    try {
      out.push({ path: f.path, text: await decryptText(f.text, { format, source: f.path }, ctx) });
      decrypted.push(f.path);
    } catch (err) {
      const msg = err instanceof SopsError || err instanceof Error ? err.message : 'unknown error';
      // keys/ messages already start with the file; keep one mention of it.
      errors.push(new DecryptError(f.path, msg.startsWith(`${f.path}: `) ? msg.slice(f.path.length + 2) : msg, decryptFailureReason(err)));
    }
  }
  if (errors.length > 0) throw new AggregateDecryptError(errors);
  return { files: out, decrypted };
}

export class AggregateDecryptError extends Error {
  constructor(readonly errors: DecryptError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'AggregateDecryptError';
  }
}

/** True when the text of a manifest file is SOPS-encrypted (any document carries a `sops` block). */
export function isEncryptedFile(f: ManifestFile): boolean {
  return isSopsEncrypted(f.text, formatFromPath(f.path));
}
