// readManifests: the files of a sync → the objects to apply, with every problem reported at once.

import { posix } from 'node:path';
import { ManifestError, type ManifestProblem } from './errors.js';
import { decodeDocuments } from './kube-yaml.js';
import { isRecord, objectsFromDocument, type ManifestObject } from './kube-object.js';
import { isKustomizationFile } from './select.js';

export interface ManifestFile {
  path: string;
  text: string;
}

export interface ReadManifestsOptions {
  /** kubectl silently keeps the last of duplicate YAML keys; by default we reject such documents. */
  allowDuplicateKeys?: boolean;
}

export interface ReadManifestsResult {
  objects: ManifestObject[];
  warnings: string[];
}

/**
 * Decodes the given files into objects, in file order then document order. Encrypted documents
 * (top-level `sops` key) are returned as they are, unflattened and unvalidated: their fields are
 * ciphertext until decrypted — pass the decrypted object to `objectsFromDecrypted`.
 * Throws ManifestError listing every problem in every file.
 */
export function readManifests(files: readonly ManifestFile[], opts: ReadManifestsOptions = {}): ReadManifestsResult {
  const problems: ManifestProblem[] = [];
  const warnings: string[] = [];
  const objects: ManifestObject[] = [];
  for (const f of files) {
    const base = posix.basename(f.path);
    if (isKustomizationFile(f.path)) {
      warnings.push(`${f.path}: kustomize not supported, file ignored`);
      continue;
    }
    if (base === '.sops.yaml') continue;
    for (const doc of decodeDocuments(f.text, f.path, problems, opts)) {
      if (doc.value === null) continue;
      const where = { file: f.path, index: doc.index, line: doc.line };
      if (isRecord(doc.value) && 'sops' in doc.value) {
        objects.push({ ...where, object: doc.value, encrypted: true, text: doc.text });
        continue;
      }
      const sealed = ciphertextPath(doc.value);
      if (sealed !== undefined) {
        problems.push({ ...where, message: `${sealed} holds SOPS ciphertext (ENC[…]) but the document has no sops metadata: its sops block was removed or renamed; refusing to apply ciphertext as a value` });
        continue;
      }
      objects.push(...objectsFromDocument(doc.value, where, problems));
    }
  }
  if (problems.length > 0) throw new ManifestError(problems);
  return { objects, warnings };
}

// What sops writes for an encrypted value: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…].
const SOPS_VALUE = /^ENC\[AES256_GCM,data:/;

/**
 * The field path of the first SOPS-encrypted value in a document without a `sops` block, if any.
 * Without the block nothing can be decrypted or verified, and applying the ciphertext as a value
 * would silently break a workload; sops itself refuses such a file ("sops metadata not found").
 */
function ciphertextPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return SOPS_VALUE.test(value) ? path || '(document)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = ciphertextPath(value[i], `${path}[${i}]`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = ciphertextPath(v, path ? `${path}.${k}` : k);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/**
 * The objects an encrypted document stands for once decrypted: the `sops` key removed, Lists
 * flattened, each object validated. Throws ManifestError naming the original file and document.
 */
export function objectsFromDecrypted(encrypted: ManifestObject, decrypted: Record<string, unknown>): ManifestObject[] {
  const problems: ManifestProblem[] = [];
  const { sops: _sops, ...plain } = decrypted;
  const where = { file: encrypted.file, index: encrypted.index, line: encrypted.line };
  const objs = objectsFromDocument(plain, where, problems);
  if (problems.length > 0) throw new ManifestError(problems);
  return objs;
}
