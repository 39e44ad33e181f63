// Go's time.Time as sops sees it: the YAML timestamps go-yaml v3 turns into time.Time (an
// unquoted `expires: 2027-01-01`), and the text sops encrypts and MACs for them, Go's
// Time.MarshalText (RFC 3339 with nanoseconds, trailing zeros dropped, a zero offset as "Z").
// A value of type `time` reads back through Time.UnmarshalText (strict RFC 3339).

interface GoTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  /** Fraction digits as written (Go keeps at most 9). */
  frac: string;
  /** Offset from UTC in minutes. */
  offset: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function valid(t: GoTime): boolean {
  return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= daysIn(t.month, t.year) && t.hour <= 23 && t.min <= 59 && t.sec <= 59;
}

function offsetOf(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const h = Number(zone.slice(1, 3));
  const m = Number(zone.slice(4, 6));
  // Time.MarshalText refuses offsets of 24 h or more; treat them as not a timestamp.
  if (h > 23 || m > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (h * 60 + m);
}

/** Go's Time.Format(time.RFC3339Nano), which is also what MarshalText writes. */
function format(t: GoTime): string {
  const frac = t.frac.slice(0, 9).replace(/0+$/, '');
  const off =
    t.offset === 0 ? 'Z' : `${t.offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(t.offset) / 60))}:${pad(Math.abs(t.offset) % 60)}`;
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.min)}:${pad(t.sec)}${frac ? `.${frac}` : ''}${off}`;
}

function build(m: RegExpExecArray, zone: string | undefined): GoTime | undefined {
  const offset = offsetOf(zone);
  if (offset === undefined) return undefined;
  const t: GoTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    min: Number(m[5] ?? 0),
    sec: Number(m[6] ?? 0),
    frac: (m[7] ?? '').slice(1),
    offset,
  };
  return valid(t) ? t : undefined;
}

// go-yaml v3 parseTimestamp: time.Parse with these layouts, in this order (month, day, hour,
// minute and second take one or two digits; the fraction, after '.' or ',', any number).
const YAML_T_ZONE = /^(\d{4})-(\d\d?)-(\d\d?)[Tt](\d\d?):(\d\d?):(\d\d?)([.,]\d+)?(Z|[+-]\d\d:\d\d)$/;
const YAML_SPACE = /^(\d{4})-(\d\d?)-(\d\d?) (\d\d?):(\d\d?):(\d\d?)([.,]\d+)?$/;
const YAML_DATE = /^(\d{4})-(\d\d?)-(\d\d?)$/;

/**
 * The MarshalText form of a plain YAML scalar that go-yaml v3 reads as a timestamp, or
 * undefined when it is not one (it then stays a string, an int or a float).
 */
export function yamlTimestamp(s: string): string | undefined {
  let t: GoTime | undefined;
  let m = YAML_T_ZONE.exec(s);
  // A 't' separator is only accepted by the second layout, which go-yaml tries next; the
  // regex covers both at once.
  if (m) t = build(m, m[8]);
  else if ((m = YAML_SPACE.exec(s))) t = build(m, undefined);
  else if ((m = YAML_DATE.exec(s))) t = build(m, undefined);
  return t ? format(t) : undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([.,]\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Time.UnmarshalText then MarshalText: the canonical text of a decrypted `type:time` value. */
export function canonicalTime(s: string): string | undefined {
  const m = RFC3339.exec(s);
  const t = m ? build(m, m[8]) : undefined;
  return t ? format(t) : undefined;
}
