// Stage 4, parse: documents → Kubernetes objects (Lists flattened, each object validated), every
// problem of every file refused at once at `manifests`. Then the still-encrypted check: a
// document that kept a `sops` block after file-level decryption (a sops block in a file the
// decrypt stage did not see as encrypted) is refused at `decrypt` — its fields are ciphertext.
import { ManifestError, objectsFromDocuments, type DecodedFiles, type ReadManifestsResult } from '../../manifests/index.js';
import { problemsOf, refuse, type RevisionAt } from '../errors.js';

export function parse(decoded: DecodedFiles, at: RevisionAt): ReadManifestsResult {
  let parsed: ReadManifestsResult;
  try {
    parsed = objectsFromDocuments(decoded);
  } catch (err) {
    if (err instanceof ManifestError) refuse(at, 'manifests', problemsOf(err));
    throw err;
  }
  const stillEncrypted = parsed.objects.filter((o) => o.encrypted);
  if (stillEncrypted.length > 0) {
    refuse(
      at,
      'decrypt',
      stillEncrypted.map((o) => `${o.file}: document ${o.index} has a sops block the file-level decryption did not cover`),
    );
  }
  return parsed;
}
