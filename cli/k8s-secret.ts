// Recognising Kubernetes Secrets inside YAML/JSON files (single documents, multi-document YAML
// streams and `kind: List` wrappers), without any dependency on the crypto code.
import { isMap, isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { sanitizeMessage } from './errors.js';

export type DocFormat = 'yaml' | 'json';

/** sops' default for Secrets: keep apiVersion/kind/metadata readable, encrypt only the payload. */
export const SECRET_ENCRYPTED_REGEX = '^(data|stringData)$';

export interface ParsedDocs {
  docs: unknown[];
  /** One-line parse error (no document content), when the text is not valid YAML/JSON. */
  error?: string;
  /** The first mapping key given twice (YAML), with its position: kept apart from `error` since
   * the documents still parse (the yaml package keeps the last value, as kubectl does). */
  duplicateKey?: string;
}

/**
 * The first key given twice in one mapping, checked with a set per mapping (the `yaml` package's
 * own uniqueKeys check is quadratic). Keys compare as their JSON text, as the daemon converts
 * them: `1` and "1" are one key. The key is named (keys are not encrypted by sops).
 */
function firstDuplicateKey(doc: Document, lines: LineCounter): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const at = pair.key.range ? lines.linePos(pair.key.range[0]) : undefined;
        found = `mapping key ${JSON.stringify(key.slice(0, 64))} defined twice${at ? ` (line ${at.line}, column ${at.col})` : ''}`;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse every document in the text. Never throws; parser messages are reduced to positions. */
export function parseDocuments(text: string, format: DocFormat): ParsedDocs {
  if (format === 'json') {
    try {
      return { docs: [JSON.parse(text) as unknown] };
    } catch (err) {
      return { docs: [], error: sanitizeMessage(err) };
    }
  }
  try {
    // uniqueKeys off: its pairwise check is quadratic (minutes at 100k keys); keys/ refuses duplicates.
    // logLevel 'error': the yaml library would otherwise print warnings (e.g. "Keys with
    // collection values will be stringified") on the process's stderr, outside our error format.
    const lines = new LineCounter();
    const stream = parseAllDocuments(text, { uniqueKeys: false, logLevel: 'error', lineCounter: lines });
    const list = Array.isArray(stream) ? stream : [stream];
    const docs: unknown[] = [];
    let duplicateKey: string | undefined;
    for (const d of list) {
      const first = d.errors[0];
      if (first) return { docs: [], error: sanitizeMessage(first) };
      // A trailing `---` yields an empty document; it carries nothing to inspect.
      if (d.contents === null) continue;
      duplicateKey ??= firstDuplicateKey(d, lines);
      docs.push(d.toJS({ maxAliasCount: 1000 }) as unknown);
    }
    return duplicateKey !== undefined ? { docs, duplicateKey } : { docs };
  } catch (err) {
    return { docs: [], error: sanitizeMessage(err) };
  }
}

export function isV1Secret(doc: unknown): doc is Record<string, unknown> {
  return isRecord(doc) && doc['kind'] === 'Secret' && doc['apiVersion'] === 'v1';
}

/** The Secrets a document holds: itself, or the items of a `List`/`SecretList`. */
export function secretsIn(doc: unknown): Record<string, unknown>[] {
  if (isV1Secret(doc)) return [doc];
  if (isRecord(doc) && typeof doc['kind'] === 'string' && doc['kind'].endsWith('List') && Array.isArray(doc['items'])) {
    return doc['items'].filter(isV1Secret);
  }
  return [];
}

export function containsSecret(docs: unknown[]): boolean {
  return docs.some((d) => secretsIn(d).length > 0);
}

/** `namespace/name` (or just name) of a Secret, for messages. */
export function secretLabel(secret: Record<string, unknown>): string {
  const md = isRecord(secret['metadata']) ? secret['metadata'] : {};
  const name = typeof md['name'] === 'string' ? md['name'] : '<unnamed>';
  return typeof md['namespace'] === 'string' ? `${md['namespace']}/${name}` : name;
}

export function hasSopsBlock(doc: unknown): boolean {
  return isRecord(doc) && isRecord(doc['sops']);
}

const ENC_VALUE = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;

export function isEncryptedValue(v: unknown): boolean {
  return typeof v === 'string' && ENC_VALUE.test(v);
}

/** Dotted paths of leaves below `node` that are not sops ciphertext (nulls carry nothing). */
export function plaintextLeaves(node: unknown, path: string): string[] {
  if (node === null || node === undefined) return [];
  if (Array.isArray(node)) return node.flatMap((v, i) => plaintextLeaves(v, `${path}[${i}]`));
  if (isRecord(node)) return Object.entries(node).flatMap(([k, v]) => plaintextLeaves(v, `${path}.${k}`));
  // sops never encrypts empty strings (nor nulls): an empty value is not a leaked secret.
  if (node === '') return [];
  return isEncryptedValue(node) ? [] : [path];
}

/** Whether a Secret carries any payload at all (empty `data: {}` is harmless). */
export function hasPayload(secret: Record<string, unknown>): boolean {
  return ['data', 'stringData'].some((f) => {
    const v = secret[f];
    return isRecord(v) ? Object.keys(v).length > 0 : v !== undefined && v !== null;
  });
}
