// What makes a decoded document an applicable Kubernetes object, how List documents are flattened
// (kubectl's FlattenListVisitor), and the identity key used across the daemon.

import type { ManifestProblem } from './errors.js';

export interface ManifestObject {
  /** Repository-relative path of the file. */
  file: string;
  /** 0-based document index in the file. Items of a List share their document's index. */
  index: number;
  /** Position of the item inside a flattened List document. */
  item?: number;
  /** 1-based line where the document starts. */
  line: number;
  /** The exact JSON the manifest means (kubectl semantics). */
  object: Record<string, unknown>;
  /** Has a top-level `sops` key: validated and flattened only after decryption. */
  encrypted: boolean;
  /** Source text of the document, kept for encrypted documents (SOPS verifies its MAC over it). */
  text?: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const API_VERSION = /^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// eslint-disable-next-line no-control-regex
const BAD_NAME_CHARS = /[/%\s\u0000-\u001f\u007f]/;

/**
 * Problems that make an object unappliable, as messages naming the field. Names are checked with the
 * rule every resource shares (a path segment: no '/', '%', not '.' or '..') plus no whitespace; the
 * stricter per-kind rules (DNS subdomain for most kinds, but `system:…` is fine for RBAC) are the
 * apiserver's job and it reports them precisely.
 */
export function validateObject(obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  const { apiVersion, kind, metadata } = obj;
  if (typeof apiVersion !== 'string' || apiVersion === '') out.push('apiVersion is missing or not a string');
  else if (!API_VERSION.test(apiVersion)) out.push('apiVersion is not of the form "version" or "group/version"');
  if (typeof kind !== 'string' || kind === '') out.push('kind is missing or not a string');
  else if (!KIND.test(kind)) out.push('kind must start with a letter and contain only letters and digits');
  if (!isRecord(metadata)) {
    out.push('metadata is missing or not a mapping');
    return out;
  }
  const { name, generateName, namespace } = metadata;
  if (name === undefined || name === null || name === '') {
    out.push(
      generateName !== undefined
        ? 'metadata.generateName is not supported (apply needs a fixed metadata.name)'
        : 'metadata.name is missing',
    );
  } else if (typeof name !== 'string') out.push('metadata.name is not a string');
  else if (name.length > 253 || name === '.' || name === '..' || BAD_NAME_CHARS.test(name)) {
    out.push('metadata.name is not a valid object name (at most 253 characters; no "/", "%" or whitespace; not "." or "..")');
  }
  if (namespace !== undefined && namespace !== null) {
    if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
      out.push('metadata.namespace is not a valid namespace name (DNS-1123 label)');
    }
  }
  if (apiVersion === 'v1' && kind === 'Secret') out.push(...secretValueProblems(obj));
  return out;
}

/**
 * A Secret's data and stringData values must be strings. Caught here, not left to the dry-run,
 * because the apiserver's answer quotes the value (".stringData.pin: expected string, got
 * …{Value:1234}") and that answer would reach status, Events and logs — for a sealed Secret, the
 * decrypted value. An unquoted number or boolean in a sops file decrypts to exactly that.
 */
function secretValueProblems(obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const m = obj[field];
    if (m === undefined || m === null) continue;
    if (!isRecord(m)) {
      out.push(`${field} must be a mapping of strings`);
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string' && v !== null) {
        out.push(
          `${field}.${k} must be a string, not ${Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`} (quote it; the value is not shown)`,
        );
      }
    }
  }
  return out;
}

/** kubectl treats `kind: List` and any `*List` kind with an `items` array as a list to flatten. */
export function isListObject(obj: Record<string, unknown>): boolean {
  return typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items);
}

/**
 * Turns one decoded, plaintext document into objects: Lists are flattened (recursively), each object is
 * validated; problems are appended with file, document index and line.
 */
export function objectsFromDocument(
  value: unknown,
  where: { file: string; index: number; line: number },
  problems: ManifestProblem[],
): ManifestObject[] {
  const out: ManifestObject[] = [];
  const push = (v: unknown, item: number | undefined, prefix: string): void => {
    if (!isRecord(v)) {
      problems.push({ ...where, message: `${prefix}is not a mapping (an object needs apiVersion, kind and metadata)` });
      return;
    }
    if (isListObject(v)) {
      (v.items as unknown[]).forEach((it, i) => push(it, i, `${prefix}items[${i}]: `));
      return;
    }
    const bad = validateObject(v);
    if (bad.length > 0) {
      const what = typeof v.kind === 'string' && typeof v.metadata === 'object' ? describe(v) : '';
      for (const m of bad) problems.push({ ...where, message: `${prefix}${what}${m}` });
      return;
    }
    out.push({ ...where, ...(item === undefined ? {} : { item }), object: v, encrypted: false });
  };
  push(value, undefined, '');
  return out;
}

function describe(obj: Record<string, unknown>): string {
  const name = isRecord(obj.metadata) && typeof obj.metadata.name === 'string' ? `/${obj.metadata.name}` : '';
  return `${String(obj.kind)}${name}: `;
}

/** The API group of an apiVersion: "apps/v1" → "apps", "v1" → "" (core). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Identity of an object across versions: `group/Kind/namespace/name` (empty group and namespace allowed). */
export function objectKey(obj: Record<string, unknown>): string {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const md = isRecord(obj.metadata) ? obj.metadata : {};
  const ns = typeof md.namespace === 'string' ? md.namespace : '';
  const name = typeof md.name === 'string' ? md.name : '';
  return `${groupOf(apiVersion)}/${kind}/${ns}/${name}`;
}
