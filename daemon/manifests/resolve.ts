// Scalar resolution exactly as kubectl performs it.
//
// kubectl (k8s.io/cli-runtime → k8s.io/apimachinery/pkg/util/yaml → sigs.k8s.io/yaml) converts every
// YAML document to JSON with go.yaml.in/yaml/v2 (v2.4.3 in Kubernetes 1.35), a YAML 1.1 decoder, before
// anything else looks at it. What a plain scalar *means* is therefore decided by go-yaml v2's
// `resolve()`, not by the YAML 1.2 core schema that most JavaScript parsers use. The differences bite:
// `0644` is 420, `yes`/`on`/`y` are true, `1_000` is 1000, `0o17` is 15 (Go's ParseInt base 0), `08` is
// the float 8, `1:20` is a string (no base-60), `1e400` is a string (out of range). This module mirrors
// that function rule for rule; see resolve.test.ts for the table of cases checked against kubectl.

export type ResolvedScalar =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  /** int/int64/uint64 in Go: `text` is the exact decimal digits, `value` the JS number (maybe inexact). */
  | { kind: 'int'; value: number; exact: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'str'; value: string }
  /** A value that matched the timestamp grammar; kubectl hands it on as the original string. */
  | { kind: 'timestamp'; value: string };

const BOOL_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const BOOL_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULLS = ['', '~', 'null', 'Null', 'NULL'];

const RESOLVE_MAP = new Map<string, ResolvedScalar>();
for (const s of BOOL_TRUE) RESOLVE_MAP.set(s, { kind: 'bool', value: true });
for (const s of BOOL_FALSE) RESOLVE_MAP.set(s, { kind: 'bool', value: false });
for (const s of NULLS) RESOLVE_MAP.set(s, { kind: 'null' });
for (const s of ['.nan', '.NaN', '.NAN']) RESOLVE_MAP.set(s, { kind: 'float', value: Number.NaN });
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) {
  RESOLVE_MAP.set(s, { kind: 'float', value: Number.POSITIVE_INFINITY });
}
for (const s of ['-.inf', '-.Inf', '-.INF']) RESOLVE_MAP.set(s, { kind: 'float', value: Number.NEGATIVE_INFINITY });

/** go-yaml's yamlStyleFloat, applied after underscores are removed. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/**
 * strconv.ParseFloat's decimal syntax for inputs starting with '.', where go-yaml calls it directly
 * (without stripping underscores): Go accepts single underscores between digits.
 */
const GO_DOT_FLOAT = /^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The first-character hint table of go-yaml's resolve(). */
function hint(s: string): 'S' | 'D' | 'M' | '.' | 'N' | null {
  if (s === '') return 'N';
  const c = s.charAt(0);
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return null;
}

/**
 * Go's strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) syntax (without the underscore rule, since
 * go-yaml strips underscores first): optional sign, then 0x/0o/0b prefix, a leading 0 (octal), or decimal.
 * Returns the exact value or null when the syntax is not an integer.
 */
export function parseGoInt(s: string): bigint | null {
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  let body = s.slice(i);
  let base = 10;
  if (body.length >= 2 && body[0] === '0') {
    const p = body.charAt(1).toLowerCase();
    if (p === 'x') base = 16;
    else if (p === 'o') base = 8;
    else if (p === 'b') base = 2;
    if (base !== 10) body = body.slice(2);
    else {
      base = 8;
      body = body.slice(1);
    }
  }
  if (body === '') return null;
  const digits = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!digits.test(body)) return null;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = BigInt(prefix + body);
  return neg ? -v : v;
}

function intResult(v: bigint): ResolvedScalar {
  return { kind: 'int', value: Number(v), exact: v };
}

/**
 * Resolves the text of an untagged plain scalar the way go-yaml v2 does. `tagged` is set when an
 * explicit `!!int`/`!!float`/... tag asked for resolution (timestamps are then not attempted unless the
 * tag is `!!timestamp`, exactly as in go-yaml).
 */
export function resolvePlain(text: string, tryTimestamp = true): ResolvedScalar {
  const h = hint(text);
  if (h === null) return { kind: 'str', value: text };
  const fromMap = RESOLVE_MAP.get(text);
  if (fromMap) return fromMap;
  if (h === '.') {
    // strconv.ParseFloat(in, 64): out-of-range values are an error there, so they stay strings.
    if (GO_DOT_FLOAT.test(text)) {
      const f = Number(text.replaceAll('_', ''));
      if (Number.isFinite(f)) return { kind: 'float', value: f };
    }
    return { kind: 'str', value: text };
  }
  if (h !== 'D' && h !== 'S') return { kind: 'str', value: text };
  if (tryTimestamp && isGoYamlTimestamp(text)) return { kind: 'timestamp', value: text };
  const plain = text.replaceAll('_', '');
  const n = parseGoInt(plain);
  if (n !== null) {
    if (n >= INT64_MIN && n <= INT64_MAX) return intResult(n);
    // ParseUint refuses a sign, even '+'.
    if (n > 0n && n <= UINT64_MAX && plain[0] !== '+') return intResult(n);
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return { kind: 'float', value: f };
  }
  return { kind: 'str', value: text };
}

const TAG = 'tag:yaml.org,2002:';
export const TAGS = {
  str: `${TAG}str`,
  int: `${TAG}int`,
  float: `${TAG}float`,
  bool: `${TAG}bool`,
  null: `${TAG}null`,
  binary: `${TAG}binary`,
  timestamp: `${TAG}timestamp`,
  merge: `${TAG}merge`,
} as const;

/** Thrown by resolveTagged; the caller adds file and position. */
export class ScalarTagError extends Error {}

/**
 * A scalar with an explicit tag. go-yaml: unknown (application) tags leave the text as a string;
 * `!!str` is always the text; `!!binary` is base64-decoded; standard tags must agree with the resolved
 * kind, except that an int is accepted (and converted) where `!!float` was asked for.
 */
export function resolveTagged(tag: string, text: string): ResolvedScalar {
  switch (tag) {
    case TAGS.str:
      return { kind: 'str', value: text };
    case TAGS.binary:
      return { kind: 'str', value: Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8') };
    case TAGS.int:
    case TAGS.float:
    case TAGS.bool:
    case TAGS.null:
    case TAGS.timestamp: {
      const r = resolvePlain(text, tag === TAGS.timestamp);
      const want = tag.slice(TAG.length);
      if (r.kind === want) return r;
      if (want === 'float' && r.kind === 'int') return { kind: 'float', value: r.value };
      // Describe the text by its kind only, never echo it: it may be a secret value.
      throw new ScalarTagError(`cannot decode a !!${r.kind} scalar as !!${want}`);
    }
    default:
      return { kind: 'str', value: text };
  }
}

/** go-yaml v2 parseTimestamp: YYYY-M-D with an optional time, via Go's time.Parse layouts. */
const TS_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const TS_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})([Tt]|[ ])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export function isGoYamlTimestamp(s: string): boolean {
  let m = TS_DATE.exec(s);
  if (m) return validDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = TS_TIME.exec(s);
  if (!m) return false;
  // Layout "2006-1-2 15:4:5.999999999" has no zone; the T forms require one.
  if (m[4] === ' ' && m[9] !== undefined) return false;
  if (m[4] !== ' ' && m[9] === undefined) return false;
  return validDate(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[5]) < 24 && Number(m[6]) < 60 && Number(m[7]) < 60;
}

function validDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/**
 * sigs.k8s.io/yaml turns non-string map keys into JSON object keys: ints in decimal, bools as
 * true/false, floats with strconv.FormatFloat(f, 'g', -1, 32) — i.e. at float32 precision.
 */
export function formatFloatKey(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Number.POSITIVE_INFINITY) return '.inf';
  if (f === Number.NEGATIVE_INFINITY) return '-.inf';
  const f32 = Math.fround(f);
  if (Math.abs(f32) === Number.POSITIVE_INFINITY) return f32 > 0 ? '+Inf' : '-Inf';
  if (f32 === 0) return Object.is(f32, -0) ? '-0' : '0';
  // Shortest decimal that reads back as the same float32.
  let digits = '';
  let exp = 0;
  for (let p = 1; p <= 9; p++) {
    const s = Math.abs(f32).toExponential(p - 1);
    if (Math.fround(Number(s)) === Math.abs(f32)) {
      const [mant = '', e] = s.split('e');
      digits = mant.replace('.', '');
      exp = Number(e);
      break;
    }
  }
  digits = digits.replace(/0+$/, '') || '0';
  const sign = f32 < 0 ? '-' : '';
  // %g with shortest precision switches to exponent form when exp < -4 || exp >= 6 (Go's eprec = 6).
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits.charAt(0)}.${digits.slice(1)}` : digits;
    const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${es}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
