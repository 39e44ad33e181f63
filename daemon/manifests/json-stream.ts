// A stream of concatenated JSON values (`{...}{...}` or one per line), as kubectl's JSON decoder accepts.
// We find each value's extent with a small scanner (strings and nesting only), then JSON.parse it. The
// scanner also spots integer literals beyond ±(2^53−1), which JSON.parse would round without a word.

export interface JsonStreamValue {
  value: unknown;
  /** 1-based line where the value starts. */
  line: number;
  text: string;
}

export type JsonStreamResult =
  { ok: true; values: JsonStreamValue[] } | { ok: false; parsed: number; message: string; line: number; col: number };

function position(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

export function scanJsonStream(text: string): JsonStreamResult {
  const values: JsonStreamValue[] = [];
  let i = 0;
  const fail = (message: string, at: number): JsonStreamResult => ({ ok: false, parsed: values.length, message, ...position(text, at) });
  // Line of each value start, counted on from the previous one: counting from the top for every
  // value made a stream of n values O(n²) (8,000 objects in 2.5 MB took 24 s).
  let line = 1;
  let counted = 0;
  const lineAt = (offset: number): number => {
    for (; counted < offset; counted++) if (text.charCodeAt(counted) === 10) line++;
    return line;
  };
  for (;;) {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length) return { ok: true, values };
    const start = i;
    if (text[i] !== '{' && text[i] !== '[') return fail('expected "{" or "[" at the start of a JSON value', i);
    let depth = 0;
    let badAt = -1;
    let badWhy = '';
    for (; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) break;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(text);
        if (m) {
          const n = Number(m[0]);
          if (badAt < 0 && !Number.isFinite(n)) {
            badAt = i;
            badWhy = 'number out of the float64 range';
          } else if (badAt < 0 && m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) {
            badAt = i;
            badWhy = 'integer outside ±(2^53−1) cannot be represented exactly; quote it if it is meant as a string';
          }
          i += m[0].length - 1;
        }
      }
    }
    if (depth !== 0) return fail('unexpected end of JSON input', text.length);
    i++;
    const slice = text.slice(start, i);
    let value: unknown;
    try {
      value = JSON.parse(slice);
    } catch (e) {
      // V8's messages quote the offending token; report only the position, the token may be secret.
      const m = /position (\d+)/.exec((e as Error).message);
      return fail('invalid JSON', start + (m ? Number(m[1]) : 0));
    }
    if (badAt >= 0) return { ok: false, parsed: values.length + 1, message: badWhy, ...position(text, badAt) };
    values.push({ value, line: lineAt(start), text: slice });
  }
}
