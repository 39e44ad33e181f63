// Stage 2, decrypt: every SOPS-encrypted file among the selected ones is verified (MAC) and
// decrypted in memory with the sync's keys; the others pass through unchanged. Any failure
// refuses the revision at `decrypt`, one problem per file naming it and the cause (never a
// value); the typed AggregateDecryptError stays the cause, so metrics can count reasons.
import type { KeyContext } from '../../../keys/index.js';
import { AggregateDecryptError, decryptFiles, type DecryptResult } from '../../decrypt/index.js';
import type { ManifestFile } from '../../manifests/index.js';
import { refuse, type RevisionAt } from '../errors.js';

export async function decrypt(files: readonly ManifestFile[], keys: KeyContext, at: RevisionAt): Promise<DecryptResult> {
  try {
    return await decryptFiles(files, keys);
  } catch (err) {
    if (err instanceof AggregateDecryptError)
      refuse(
        at,
        'decrypt',
        err.errors.map((e) => e.message),
        err,
      );
    throw err;
  }
}
