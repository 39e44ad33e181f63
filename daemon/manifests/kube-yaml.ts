// Splitting a manifest file into documents and decoding each one as kubectl does:
//  - content whose first non-space character is `{` is read as a stream of JSON values (kubectl's
//    YAMLOrJSONDecoder sniffs content, not the file extension), falling back to YAML if the first value
//    is not valid JSON (e.g. a YAML flow mapping);
//  - otherwise lines beginning with `---` separate documents (apimachinery's YAMLReader), and anything
//    other than a comment after the `---` is an error, as in kubectl;
//  - each document is parsed by the `yaml` package and given meaning by to-json.ts (go-yaml v2 rules).

import { LineCounter, parseDocument } from 'yaml';
import { ManifestError, type ManifestProblem } from './errors.js';
import { ConvertError, documentToJson, type ConvertOptions, type JsonValue } from './to-json.js';
import { scanJsonStream } from './json-stream.js';

export interface KubeDocument {
  /** 0-based document index in the file. */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  /** The decoded document; `null` for documents with no content (they are skipped by readers). */
  value: JsonValue;
  /** The document's source text (SOPS needs the original bytes to check its MAC). */
  text: string;
}

interface Chunk {
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  line0: number;
}

/** apimachinery YAMLReader: a line starting with `---` ends the current document. */
function splitYaml(text: string, file: string, problems: ManifestProblem[]): Chunk[] {
  const chunks: Chunk[] = [];
  const lines = text.split(/(?<=\n)/);
  let buf: string[] = [];
  let start = 0;
  lines.forEach((line, i) => {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest.length > 0 && !rest.startsWith('#')) {
        problems.push({
          file,
          line: i + 1,
          col: 4,
          message: 'invalid YAML document separator: only a comment may follow "---" on its line',
        });
        return;
      }
      if (buf.length > 0) chunks.push({ text: buf.join(''), line0: start });
      buf = [];
      start = i + 1;
      return;
    }
    if (buf.length === 0) start = i;
    // Like apimachinery's LineReader: every line, the last included, ends with exactly "\n".
    buf.push(`${line.replace(/\r?\n$/, '')}\n`);
  });
  if (buf.length > 0) chunks.push({ text: buf.join(''), line0: start });
  return chunks;
}

function decodeYamlChunk(
  chunk: Chunk,
  index: number,
  file: string,
  opts: ConvertOptions,
  problems: ManifestProblem[],
): KubeDocument | null {
  const lc = new LineCounter();
  // failsafe: keep every scalar as text so resolve.ts decides its type; uniqueKeys: checked after
  // resolution, where `yes` and `true` are the same key; version 1.1: go-yaml is a YAML 1.1 parser.
  const doc = parseDocument(chunk.text, {
    schema: 'failsafe',
    uniqueKeys: false,
    version: '1.1',
    prettyErrors: false,
    lineCounter: lc,
    strict: false,
  });
  const at = (offset: number): { line: number; col: number } => {
    const p = lc.linePos(offset);
    return { line: chunk.line0 + p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ file, index, ...at(e.pos[0]), message: `YAML syntax error: ${e.message}` });
    }
    return null;
  }
  try {
    const value = documentToJson(doc, opts);
    return { index, line: chunk.line0 + 1, value, text: chunk.text };
  } catch (e) {
    if (e instanceof ConvertError) {
      problems.push({ file, index, ...at(e.offset), message: e.message });
      return null;
    }
    throw e;
  }
}

/** All documents of a file, with positions; problems are appended, not thrown. */
export function decodeDocuments(text: string, file: string, problems: ManifestProblem[], opts: ConvertOptions = {}): KubeDocument[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (/^\s*\{/.test(body)) {
    const json = scanJsonStream(body);
    if (json.ok) return json.values.map((v, index) => ({ index, line: v.line, value: v.value as JsonValue, text: v.text }));
    if (json.parsed > 0) {
      problems.push({ file, line: json.line, col: json.col, message: `JSON syntax error: ${json.message}` });
      return [];
    }
    // Not JSON after all (a YAML flow mapping, say): kubectl retries the whole stream as YAML.
  }
  const docs: KubeDocument[] = [];
  splitYaml(body, file, problems).forEach((chunk, index) => {
    const d = decodeYamlChunk(chunk, index, file, opts, problems);
    if (d) docs.push(d);
  });
  return docs;
}

/**
 * The documents of one manifest file as kubectl would decode them, empty documents removed.
 * Throws ManifestError (with file:line:col) on malformed input.
 */
export function parseKubeYaml(text: string, file: string, opts: ConvertOptions = {}): unknown[] {
  const problems: ManifestProblem[] = [];
  const docs = decodeDocuments(text, file, problems, opts);
  if (problems.length > 0) throw new ManifestError(problems);
  return docs.filter((d) => d.value !== null).map((d) => d.value);
}
