// Reading Kubernetes manifests exactly as kubectl does (YAML 1.1 via go-yaml v2 semantics).
export { ManifestError, formatProblem, type ManifestProblem } from './errors.js';
export { parseKubeYaml, decodeDocuments, type KubeDocument } from './kube-yaml.js';
export { selectManifestFiles, normalizeRoot, isKustomizationFile } from './select.js';
export { objectKey, groupOf, validateObject, isListObject, type ManifestObject } from './kube-object.js';
export {
  readManifests,
  decodeFiles,
  objectsFromDocuments,
  objectsFromDecrypted,
  type DecodedFiles,
  type ManifestDocument,
  type ManifestFile,
  type ReadManifestsOptions,
  type ReadManifestsResult,
} from './read.js';
export type { JsonValue } from './to-json.js';
