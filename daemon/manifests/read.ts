// The files of a sync → the objects to apply, with every problem reported at once. Two steps, so
// the engine can run them as separate stages (and a render stage can hand its documents to the
// second): decodeFiles (bytes → documents) and objectsFromDocuments (documents → objects).

import { posix } from 'node:path';
import { ManifestError, type ManifestProblem } from './errors.js';
import { decodeDocuments, type KubeDocument } from './kube-yaml.js';
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

/** One decoded document and the file it came from (what a render stage would produce too). */
export interface ManifestDocument extends KubeDocument {
  /** Repository-relative path of the file the document came from. */
  file: string;
}

/** The documents of a set of files, with the problems found so far (not thrown yet). */
export interface DecodedFiles {
  /** The files decoded, in order: problems are reported file by file in this order. */
  files: string[];
  /** Non-empty documents, in file order then document order. */
  documents: ManifestDocument[];
  warnings: string[];
  problems: ManifestProblem[];
}

/**
 * Bytes → documents: decodes every file (kubectl's YAML 1.1 / JSON-stream semantics), keeping
 * each document's file. Nothing is thrown: decoding problems travel with the result so that
 * `objectsFromDocuments` reports them together with its own, every file's at once.
 */
export function decodeFiles(files: readonly ManifestFile[], opts: ReadManifestsOptions = {}): DecodedFiles {
  const out: DecodedFiles = { files: [], documents: [], warnings: [], problems: [] };
  for (const f of files) {
    const base = posix.basename(f.path);
    if (isKustomizationFile(f.path)) {
      out.warnings.push(`${f.path}: kustomize not supported, file ignored`);
      continue;
    }
    if (base === '.sops.yaml') continue;
    out.files.push(f.path);
    for (const doc of decodeDocuments(f.text, f.path, out.problems, opts)) {
      if (doc.value !== null) out.documents.push({ ...doc, file: f.path });
    }
  }
  return out;
}

/**
 * Documents → objects, in document order. Encrypted documents (top-level `sops` key) are
 * returned as they are, unflattened and unvalidated: their fields are ciphertext until
 * decrypted — pass the decrypted object to `objectsFromDecrypted`.
 * Throws ManifestError listing every problem in every file (decoding problems included), file
 * by file: within a file, its decoding problems first, then its documents' in order.
 */
export function objectsFromDocuments(decoded: DecodedFiles): ReadManifestsResult {
  const problems: ManifestProblem[] = [];
  const objects: ManifestObject[] = [];
  for (const doc of decoded.documents) {
    const where = { file: doc.file, index: doc.index, line: doc.line };
    if (isRecord(doc.value) && 'sops' in doc.value) {
      objects.push({ ...where, object: doc.value, encrypted: true, text: doc.text });
      continue;
    }
    const sealed = ciphertextPath(doc.value);
    if (sealed !== undefined) {
      problems.push({
        ...where,
        message: `${sealed} holds SOPS ciphertext (ENC[…]) but the document has no sops metadata: its sops block was removed or renamed; refusing to apply ciphertext as a value`,
      });
      continue;
    }
    objects.push(...objectsFromDocument(doc.value, where, problems));
  }
  const all = [...decoded.problems, ...problems];
  if (all.length > 0) throw new ManifestError(inFileOrder(all, decoded.files));
  return { objects, warnings: decoded.warnings };
}

/** Stable regroup by file, files in `order` (problems of a file not listed keep their place at the end). */
function inFileOrder(problems: readonly ManifestProblem[], order: readonly string[]): ManifestProblem[] {
  const rank = new Map(order.map((f, i) => [f, i]));
  const at = (p: ManifestProblem): number => rank.get(p.file) ?? order.length;
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => at(a.p) - at(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * Decodes the given files into objects, in file order then document order: `decodeFiles` then
 * `objectsFromDocuments`. Throws ManifestError listing every problem in every file.
 */
export function readManifests(files: readonly ManifestFile[], opts: ReadManifestsOptions = {}): ReadManifestsResult {
  return objectsFromDocuments(decodeFiles(files, opts));
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
