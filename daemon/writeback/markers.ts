// Flux image-automation setter markers in YAML line comments, found on the CST so that every
// marked scalar comes with its exact source offsets (edit.ts splices only those characters).
//
// Semantics follow fluxcd/image-automation-controller (pkg/update: kyaml setters with the
// `$imagepolicy` shorthand):
//   - only files named *.yaml, *.yml or exactly `Kustomization` (kustomize's extension-less
//     name) that contain the token `"$imagepolicy"` are read at all (isMarkerFile: tree.ts
//     screens the commit's files with it, applyPolicies the files it is given);
//   - a marker is a line comment whose text after the leading `#`s is a JSON object of strings
//     with a non-empty "$imagepolicy" member; any other comment is just a comment;
//   - the setter is `<policy>` (full ref `name:tag`, `name:tag@digest` when a digest is known),
//     `<policy>:tag`, `<policy>:name` or `<policy>:digest`;
//   - Flux writes `<namespace>:<policy>[:field]`; which image entry answers it is policies.ts's
//     rule (only an entry of that namespace). We also read `<policy>[:field]` without a
//     namespace. A two-part ref whose last part is tag/name/digest is `<policy>:<field>`,
//     otherwise `<namespace>:<policy>`.
import { Composer, CST, LineCounter, Parser } from 'yaml';
import { YamlEditError } from './errors.js';

export const MARKER_TOKEN = '"$imagepolicy"';

export type MarkerField = 'image' | 'tag' | 'name' | 'digest';
const FIELDS: readonly string[] = ['tag', 'name', 'digest'];

export interface MarkerRef {
  /** The "$imagepolicy" string as written. */
  raw: string;
  namespace?: string;
  policy: string;
  field: MarkerField;
}

export type ScalarStyle = 'plain' | 'single' | 'double';

export interface FoundMarker {
  ref: MarkerRef;
  /** Offsets (UTF-16, into the file text) of the scalar's source, quotes included. */
  start: number;
  end: number;
  style: ScalarStyle;
  /** The scalar's current value. */
  value: string;
  /** Inside a flow collection (`[...]`, `{...}`): plain values there must avoid `,[]{}`. */
  flow: boolean;
  /** 1-based position of the scalar. */
  line: number;
  col: number;
}

/** A marker comment that names no scalar we can set (block scalar, collection, bad ref). */
export interface UnsettableMarker {
  raw: string;
  line: number;
  col: number;
  why: string;
}

export interface MarkerScan {
  markers: FoundMarker[];
  skipped: UnsettableMarker[];
}

/**
 * Flux's file selection: `*.yaml`, `*.yml` (case-sensitive, as Go's filepath.Ext) or a file named
 * exactly `Kustomization`, which kustomize reads like `kustomization.yaml`.
 */
export function isMarkerFile(path: string): boolean {
  return /\.ya?ml$/.test(path) || path.slice(path.lastIndexOf('/') + 1) === 'Kustomization';
}

/** Flux's screening: a marker file by name, and the quoted token somewhere in the text. */
export function isCandidate(path: string, text: string): boolean {
  return isMarkerFile(path) && text.includes(MARKER_TOKEN);
}

/** `"ns:policy:tag"` etc. → a MarkerRef; undefined when malformed. */
export function parseMarkerRef(raw: string): MarkerRef | undefined {
  const parts = raw.split(':');
  if (parts.some((p) => p.trim() === '' || p !== p.trim())) return undefined;
  const [a, b, c] = parts as [string, string | undefined, string | undefined];
  if (parts.length === 1) return { raw, policy: a, field: 'image' };
  if (parts.length === 2 && b !== undefined) {
    return FIELDS.includes(b) ? { raw, policy: a, field: b as MarkerField } : { raw, namespace: a, policy: b, field: 'image' };
  }
  if (parts.length === 3 && b !== undefined && c !== undefined && FIELDS.includes(c)) {
    return { raw, namespace: a, policy: b, field: c as MarkerField };
  }
  return undefined;
}

/**
 * The "$imagepolicy" string of a comment token (`# {...}`), or undefined when the comment is not
 * a marker. Like kyaml: strip leading `#`s, the rest must parse as a JSON object of strings.
 */
export function markerOf(comment: string): string | undefined {
  if (!comment.includes('$imagepolicy')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(comment.replace(/^#+/, ''));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const values = Object.values(parsed);
  if (values.some((v) => typeof v !== 'string')) return undefined;
  const name = (parsed as Record<string, string>)['$imagepolicy'];
  return name === undefined || name === '' ? undefined : name;
}

type FlowScalar = CST.FlowScalar;

function styleOf(t: FlowScalar): ScalarStyle {
  return t.type === 'scalar' ? 'plain' : t.type === 'single-quoted-scalar' ? 'single' : 'double';
}

/** The comment token on the same line right after a flow scalar, if any. */
function lineComment(t: FlowScalar): CST.SourceToken | undefined {
  for (const e of t.end ?? []) {
    if (e.type === 'comment') return e;
    if (e.type !== 'space') return undefined;
  }
  return undefined;
}

/**
 * Every marker in `text`. A file that does not parse throws YamlEditError with the first
 * problem's position: it is reported and left alone, never half-edited.
 */
export function findMarkers(path: string, text: string): MarkerScan {
  const lc = new LineCounter();
  const tokens = Array.from(new Parser(lc.addNewLine).parse(text));
  const pos = (offset: number): { line: number; col: number } => lc.linePos(offset);
  for (const doc of new Composer({ prettyErrors: false }).compose(tokens)) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const p = pos(err.pos[0]);
      throw new YamlEditError(path, p.line, p.col, `YAML does not parse: ${err.message.split('\n')[0] ?? ''}`);
    }
  }
  const markers: FoundMarker[] = [];
  const attached = new Set<CST.SourceToken>();
  const comments: CST.SourceToken[] = [];
  const walk = (node: unknown, flow: boolean): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, flow);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const t = node as { type?: string };
    if (t.type === 'comment') {
      comments.push(node as CST.SourceToken);
      return;
    }
    if (t.type === 'scalar' || t.type === 'single-quoted-scalar' || t.type === 'double-quoted-scalar') {
      const s = node as FlowScalar;
      const c = lineComment(s);
      const raw = c === undefined ? undefined : markerOf(c.source);
      const ref = raw === undefined ? undefined : parseMarkerRef(raw);
      // A malformed ref stays unattached: the comment pass below reports it as skipped.
      if (c !== undefined && ref !== undefined) {
        attached.add(c);
        const p = pos(s.offset);
        const { value } = CST.resolveAsScalar(s, true, () => undefined);
        markers.push({ ref, start: s.offset, end: s.offset + s.source.length, style: styleOf(s), value, flow, line: p.line, col: p.col });
      }
    }
    const inFlow = flow || t.type === 'flow-collection';
    for (const [k, v] of Object.entries(node)) if (k !== 'source' && typeof v === 'object') walk(v, inFlow);
  };
  walk(tokens, false);
  const skipped: UnsettableMarker[] = [];
  for (const c of comments) {
    if (attached.has(c)) continue;
    const raw = markerOf(c.source);
    if (raw === undefined) continue;
    const p = pos(c.offset);
    const why =
      parseMarkerRef(raw) === undefined
        ? 'malformed "$imagepolicy" value: want <policy>[:tag|:name|:digest] or <namespace>:<policy>[:field]'
        : 'the marker does not follow a plain or quoted scalar on its line (block scalar, collection or key)';
    skipped.push({ raw, line: p.line, col: p.col, why });
  }
  markers.sort((a, b) => a.start - b.start);
  skipped.sort((a, b) => a.line - b.line);
  return { markers, skipped };
}
