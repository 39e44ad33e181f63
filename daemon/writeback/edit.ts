// Byte-exact scalar edits: the new value is encoded in the scalar's own style and spliced into the
// original text at the scalar's offsets; nothing is re-serialized, so comments, quoting elsewhere,
// indentation, flow style, anchors, document separators, block scalars, CRLF, a BOM and the
// presence or absence of a final newline all stay exactly as they were.
import { parse } from 'yaml';
import { YamlEditError } from './errors.js';
import type { ScalarStyle } from './markers.js';

export interface ScalarEdit {
  /** Offsets of the scalar's source (quotes included) in the text. */
  start: number;
  end: number;
  style: ScalarStyle;
  flow: boolean;
  value: string;
  line: number;
  col: number;
}

/** Characters an image reference, tag or digest uses; anything else is quoted to be safe. */
const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./:@+=~-]*$/;
const PLAIN_FLOW = PLAIN; // `,[]{}` are already excluded above.

/**
 * Would `v` written plain read back as exactly the string `v`? Checked under both YAML 1.2 (our
 * reader, kubectl) and YAML 1.1 (older tools): `1.10`, `true`, `yes`, `null`, `0x1f`, `1_000`
 * must not become numbers, booleans or null. Like kyaml's setters, such values get double quotes.
 */
export function plainSafe(v: string, flow: boolean): boolean {
  if (!(flow ? PLAIN_FLOW : PLAIN).test(v) || v.endsWith(':')) return false;
  try {
    return parse(v, { version: '1.2' }) === v && parse(v, { version: '1.1' }) === v;
  } catch {
    return false;
  }
}

function doubleQuoted(v: string): string {
  // A JSON string is a valid YAML double-quoted scalar with the same value.
  return JSON.stringify(v);
}

/** `value` in the given style, switching plain to double quotes only when plain would change its type. */
export function encodeScalar(value: string, style: ScalarStyle, flow: boolean): string {
  if (style === 'plain') return plainSafe(value, flow) ? value : doubleQuoted(value);
  if (style === 'single') return /[\n\r]/.test(value) ? doubleQuoted(value) : `'${value.replace(/'/g, "''")}'`;
  return doubleQuoted(value);
}

/** Splice every edit into `text`; edits must not overlap. Unchanged scalars are left untouched. */
export function applyEdits(file: string, text: string, edits: readonly ScalarEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as ScalarEdit;
    const cur = sorted[i] as ScalarEdit;
    if (cur.start < prev.end) throw new YamlEditError(file, cur.line, cur.col, 'overlapping edits');
  }
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.start) + encodeScalar(e.value, e.style, e.flow);
    at = e.end;
  }
  return out + text.slice(at);
}
