// In-memory decryption of a revision's SOPS-encrypted manifest files. The plaintext exists only
// as strings in this process: it is handed to the manifest parser and then to the apply step,
// never written anywhere. Errors name the file and the cause (keys/ errors never carry values).
import { decryptText, formatFromPath, isSopsEncrypted, SopsError, type KeyContext } from '../../keys/index.js';
import type { ManifestFile } from '../manifests/read.js';

export class DecryptError extends Error {
  constructor(readonly file: string, cause: string) {
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
      errors.push(new DecryptError(f.path, msg.startsWith(`${f.path}: `) ? msg.slice(f.path.length + 2) : msg));
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
