// How sops' YAML library (go.yaml.in/yaml/v3 v3.0.4, resolve.go and encode.go) types a scalar,
// and how it writes one back. The YAML store parses every scalar as text (failsafe schema) and
// decides here, so that what we encrypt and MAC is what sops encrypts and MACs — also for
// values left in clear, whose MAC bytes must match (an unquoted date is a time, `0x1F` is 31,
// `1_000` is 1000, `yes` is a string) — and decrypted values are written as sops writes them.
import { formatGoFloatF, formatGoFloatG, parseGoFloat, type Leaf } from './cipher.js';
import { yamlTimestamp } from './gotime.js';

/** A scalar as the parser saw it: text, style, and explicit tag (`!!int` → 'int'; '!foo' kept). */
export interface RawScalar {
  text: string;
  /** Quoted or block style (any such scalar without a tag is a string). */
  quoted: boolean;
  tag: string | undefined;
}

/** Thrown for a scalar sops cannot handle either; carries no value text. */
export class ResolveError extends Error {}

export type Resolved = Leaf | null;

const YAML_TAG = 'tag:yaml.org,2002:';
export function shortTag(tag: string | undefined): string | undefined {
  if (tag === undefined || tag === '!') return undefined;
  return tag.startsWith(YAML_TAG) ? tag.slice(YAML_TAG.length) : tag;
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const FLOAT_MAP = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, NaN] as [string, number]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Infinity] as [string, number]),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, -Infinity] as [string, number]),
]);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go strconv.ParseInt/ParseUint(s, 0, 64) digits after an optional sign, as a bigint. */
function goParseBase0(s: string): bigint | undefined {
  let base = 10;
  let digits = s;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && p === 'b') [base, digits] = [2, s.slice(2)];
    else if (s.length >= 3 && p === 'o') [base, digits] = [8, s.slice(2)];
    else if (s.length >= 3 && p === 'x') [base, digits] = [16, s.slice(2)];
    else [base, digits] = [8, s.slice(1)];
  }
  const re = base === 2 ? /^[01]*$/ : base === 8 ? /^[0-7]*$/ : base === 16 ? /^[0-9a-fA-F]*$/ : /^[0-9]+$/;
  if (!re.test(digits)) return undefined;
  if (digits === '') return 0n;
  const prefix = base === 2 ? '0b' : base === 8 ? '0o' : base === 16 ? '0x' : '';
  return BigInt(prefix + digits);
}

type IntResult = { t: 'int'; v: bigint } | { t: 'uint'; v: bigint } | undefined;

/** ParseInt(s, 0, 64), then ParseUint(s, 0, 64) (no sign), as go-yaml tries them. */
function goInt(s: string): IntResult {
  if (s === '') return undefined;
  const neg = s[0] === '-';
  const body = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  if (body === '') return undefined;
  const mag = goParseBase0(body);
  if (mag === undefined) return undefined;
  const v = neg ? -mag : mag;
  if (v >= INT64_MIN && v <= INT64_MAX) return { t: 'int', v };
  if (body === s && v <= UINT64_MAX) return { t: 'uint', v };
  return undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go strconv.ParseFloat for the decimal forms go-yaml hands it; undefined when out of range. */
function goFloat(s: string): number | undefined {
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

type Plain =
  | { tag: 'null' }
  | { tag: 'bool'; v: boolean }
  | { tag: 'int'; v: bigint; uint?: true }
  | { tag: 'float'; v: number }
  | { tag: 'timestamp'; v: string }
  | { tag: 'str' };

/** go-yaml v3 resolve() of a plain scalar (no tag, or an explicit resolvable one). */
function resolvePlain(s: string, tag: string | undefined): Plain {
  // resolveTable: only these first characters can start a non-string (`<<` cannot: '<' has no hint).
  const c = s[0] ?? '';
  const hint =
    s === '' ? 'N' : c === '+' || c === '-' ? 'S' : c >= '0' && c <= '9' ? 'D' : 'yYnNtTfFoO~'.includes(c) ? 'M' : c === '.' ? '.' : '';
  if (hint === '' || tag === 'str') return { tag: 'str' };
  if (NULLS.has(s)) return { tag: 'null' };
  if (TRUES.has(s)) return { tag: 'bool', v: true };
  if (FALSES.has(s)) return { tag: 'bool', v: false };
  const special = FLOAT_MAP.get(s);
  if (special !== undefined) return { tag: 'float', v: special };
  if (hint === '.') {
    const f = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? goFloat(s) : undefined;
    return f === undefined ? { tag: 'str' } : { tag: 'float', v: f };
  }
  if (hint !== 'D' && hint !== 'S') return { tag: 'str' };
  if (tag === undefined || tag === 'timestamp') {
    const t = yamlTimestamp(s);
    if (t !== undefined) return { tag: 'timestamp', v: t };
  }
  const plain = s.replace(/_/g, '');
  const i = goInt(plain);
  if (i) return i.t === 'int' ? { tag: 'int', v: i.v } : { tag: 'int', v: i.v, uint: true };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = goFloat(plain);
    if (f !== undefined) return { tag: 'float', v: f };
  }
  // The 0b/0o retries of resolve() only matter where ParseInt already failed on range, which
  // goInt covers (ParseUint). What is left is a string.
  return { tag: 'str' };
}

const RESOLVABLE = new Set([undefined, 'str', 'bool', 'int', 'float', 'null', 'timestamp']);

/**
 * The value go-yaml v3 decodes into an interface{} (what sops' tree holds), as a Leaf, or null.
 * Throws ResolveError for what sops refuses too: an int above int64, a tag that does not fit.
 */
export function resolveScalar(raw: RawScalar): Resolved {
  const tag = shortTag(raw.tag);
  if (tag === 'str' || (tag === undefined && raw.quoted)) return { kind: 'str', text: raw.text };
  // Custom tags (and !!binary, decoded by the parser) are not resolved: the text is a string.
  if (!RESOLVABLE.has(tag)) return { kind: 'str', text: raw.text };
  const r = resolvePlain(raw.text, tag);
  // resolve()'s deferred check: an explicit tag must match, except that !!float takes an int.
  const intAsFloat = tag === 'float' && r.tag === 'int' && r.uint !== true;
  if (tag !== undefined && tag !== r.tag && !intAsFloat) throw new ResolveError(`cannot decode a !!${r.tag} value as !!${tag}`);
  switch (r.tag) {
    case 'null':
      return null;
    case 'bool':
      return { kind: 'bool', text: r.v ? 'True' : 'False' };
    case 'int':
      if (intAsFloat) return { kind: 'float', text: formatGoFloatF(Number(r.v)) };
      if (r.uint) throw new ResolveError('integer above the int64 range (sops cannot encrypt it either; quote it to keep it a string)');
      return { kind: 'int', text: r.v.toString() };
    case 'float':
      return { kind: 'float', text: formatGoFloatF(r.v) };
    case 'timestamp':
      return { kind: 'time', text: r.v };
    case 'str':
      return { kind: 'str', text: raw.text };
  }
}

// --- writing -----------------------------------------------------------------------------

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/**
 * go-yaml v3 encoder (stringv): a string that would read back as another type — by its own
 * YAML 1.2 rules or, for YAML 1.1 readers such as kubectl, as a 1.1 bool (`yes`, `on`, `n`)
 * or base-60 float (`1:20`) — is written double-quoted.
 */
export function mustQuote(s: string): boolean {
  if (OLD_BOOLS.has(s) || BASE60_FLOAT.test(s)) return true;
  return resolvePlain(s, undefined).tag !== 'str';
}

/**
 * A float leaf's YAML text: go-yaml's FormatFloat(f, 'g', -1, 64) with .inf/.nan, except that a
 * whole number keeps ".0" — go-yaml writes 2.0 as `2`, which reads back as an int and would
 * change the value's type (and ciphertext) on the next edit.
 */
export function yamlFloatText(text: string): string {
  const n = parseGoFloat(text) ?? NaN;
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  const g = formatGoFloatG(n);
  return /^-?[0-9]+$/.test(g) ? `${g}.0` : g;
}
