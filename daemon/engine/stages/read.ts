// Stage 3, read: bytes → documents, each with the file it came from (kubectl's YAML 1.1 and
// JSON-stream semantics). Decoding problems are carried, not thrown, so the parse stage reports
// them with its own: a broken commit is fixed in one round. A render stage (Kustomize/Helm)
// produces the same shape, documents with their file of origin, for the parse stage.
import { decodeFiles, type DecodedFiles, type ManifestFile } from '../../manifests/index.js';

export function read(files: readonly ManifestFile[]): DecodedFiles {
  return decodeFiles(files);
}
