// JSON store. A small order-preserving parser (JSON.parse reorders integer-like keys and
// drops duplicates; sops' token decoder keeps both), and an emitter matching sops' output:
// Go json.Indent with a tab, Go's HTML-safe string escaping, numbers as float64.
import type { Leaf } from './cipher.js';
import { formatGoFloatF, parseGoFloat } from './cipher.js';
import type { MetaEntries, MetaValue } from './metadata.js';
import { StoreError, type ParsedStore } from './store.js';
import type { MapItem, MapNode, SeqItem, TreeNode } from './tree.js';

type JVal =
  | { t: 'obj'; entries: [string, JVal][] }
  | { t: 'arr'; items: JVal[] }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number; raw?: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

const MAX_DEPTH = 512;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(msg: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const col = this.i - before.lastIndexOf('\n');
    throw new StoreError(`invalid JSON: ${msg}`, `line ${line}, column ${col}`);
  }
  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] as string)) this.i++;
  }
  document(): JVal {
    this.ws();
    if (this.s[this.i] !== '{') this.fail('sops only supports JSON files with a top-level object');
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected data after the top-level object');
    return v;
  }
  value(depth: number): JVal {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.ws();
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const entries: [string, JVal][] = [];
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') this.fail('expected an object key');
        const k = this.string();
        this.ws();
        if (this.s[this.i] !== ':') this.fail("expected ':'");
        this.i++;
        entries.push([k, this.value(depth + 1)]);
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          continue;
        }
        if (this.s[this.i] === '}') {
          this.i++;
          return { t: 'obj', entries };
        }
        this.fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      this.i++;
      const items: JVal[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(this.value(depth + 1));
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          continue;
        }
        if (this.s[this.i] === ']') {
          this.i++;
          return { t: 'arr', items };
        }
        this.fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'str', v: this.string() };
    for (const [lit, val] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return val;
      }
    }
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('unexpected character');
    // Go's json.Number.Float64 fails beyond float64 (sops refuses `1e400`); taking it as Infinity
    // would write a file whose value cannot be written back as JSON, so it could not be decrypted.
    if (!Number.isFinite(Number(m[0]))) this.fail('number out of the float64 range');
    this.i += m[0].length;
    return { t: 'num', v: Number(m[0]), raw: m[0] };
  }
  string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') break;
      if (c === '\\') this.i++;
      else if (c < ' ') this.fail('control character in string');
      this.i++;
    }
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      return this.fail('invalid string escape');
    }
  }
}

function leafOf(v: JVal): Leaf | null {
  switch (v.t) {
    case 'str':
      return { kind: 'str', text: v.v };
    case 'num':
      // sops 3.13 decodes JSON numbers as json.Number: integer literals within int64 are "int",
      // everything else "float".
      if (v.raw !== undefined && /^-?[0-9]+$/.test(v.raw)) {
        const b = BigInt(v.raw);
        if (b >= -(2n ** 63n) && b < 2n ** 63n) return { kind: 'int', text: b.toString() };
      }
      return { kind: 'float', text: formatGoFloatF(v.v) };
    case 'bool':
      return { kind: 'bool', text: v.v ? 'True' : 'False' };
    default:
      return null;
  }
}

function jvalOf(leaf: Leaf): JVal {
  switch (leaf.kind) {
    case 'int':
      return { t: 'num', v: Number(leaf.text), raw: leaf.text };
    case 'float': {
      const n = parseGoFloat(leaf.text);
      if (n === undefined || !Number.isFinite(n)) throw new StoreError('a float value is not representable in JSON');
      return { t: 'num', v: n };
    }
    case 'bool':
      return { t: 'bool', v: leaf.text === 'True' };
    default:
      return { t: 'str', v: leaf.text };
  }
}

const dropped = new WeakSet<JVal>();

function node(v: JVal, replace: (n: JVal) => void): TreeNode {
  if (v.t === 'obj') return mapNode(v);
  if (v.t === 'arr') {
    const items: SeqItem[] = v.items.map((item, i) => {
      const n = node(item, (x) => (v.items[i] = x));
      // JSON cannot hold comments: a decrypted comment item is dropped (as sops' JSON emitter does).
      if (n.t === 'leaf') n.toComment = () => dropped.add(item);
      return n;
    });
    return { t: 'seq', items };
  }
  const leaf = leafOf(v);
  if (!leaf) return { t: 'null' };
  return {
    t: 'leaf',
    leaf,
    set(l: Leaf) {
      replace(jvalOf(l));
      this.leaf = l;
    },
  };
}

function mapNode(o: { t: 'obj'; entries: [string, JVal][] }): MapNode {
  const items: MapItem[] = o.entries.map((e) => ({ t: 'pair', key: e[0], value: node(e[1], (n) => (e[1] = n)) }));
  return { t: 'map', items };
}

/** Go encoding/json string escaping (HTML-safe). */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function emit(v: JVal, indent: string, unit: string): string {
  const inner = `${indent}${unit}`;
  switch (v.t) {
    case 'obj':
      if (v.entries.length === 0) return '{}';
      return `{\n${v.entries.map(([k, val]) => `${inner}${goString(k)}: ${emit(val, inner, unit)}`).join(',\n')}\n${indent}}`;
    case 'arr':
      if (v.items.every((i) => dropped.has(i))) return '[]';
      return `[\n${v.items
        .filter((i) => !dropped.has(i))
        .map((val) => `${inner}${emit(val, inner, unit)}`)
        .join(',\n')}\n${indent}]`;
    case 'str':
      return goString(v.v);
    case 'num':
      if (v.raw !== undefined && /^-?[0-9]+$/.test(v.raw)) return v.raw;
      // Go's encoding/json keeps the sign of a float zero; JSON.stringify(-0) drops it.
      return Object.is(v.v, -0) ? '-0' : JSON.stringify(v.v);
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

function toJs(v: JVal): unknown {
  switch (v.t) {
    case 'obj':
      return Object.fromEntries(v.entries.map(([k, val]) => [k, toJs(val)]));
    case 'arr':
      return v.items.map(toJs);
    case 'null':
      return null;
    default:
      return v.v;
  }
}

function fromMeta(v: MetaValue): JVal {
  if (Array.isArray(v)) return { t: 'arr', items: v.map(fromMeta) };
  if (typeof v === 'object') return { t: 'obj', entries: Object.entries(v).map(([k, val]) => [k, fromMeta(val)]) };
  if (typeof v === 'boolean') return { t: 'bool', v };
  return { t: 'str', v };
}

/**
 * One indentation level of an encrypted file, from its top-level `"sops"` line (sops: a tab by
 * default) — the last such line: sops appends its block, and a nested "sops" key comes earlier.
 */
function sopsKeyIndent(text: string): string | undefined {
  return [...text.matchAll(/^([ \t]+)"sops"\s*:/gm)].at(-1)?.[1];
}

/** `indent`: write with this unit (an edit's plaintext); else the file's own when encrypted, else a tab. */
export function parseJson(text: string, indent?: string): ParsedStore {
  const root = new Parser(text).document() as { t: 'obj'; entries: [string, JVal][] };
  const meta = root.entries.find(([k]) => k === 'sops');
  const unit = indent ?? (meta !== undefined ? sopsKeyIndent(text) : undefined) ?? '\t';
  const removeMetadata = (): void => {
    root.entries = root.entries.filter(([k]) => k !== 'sops');
  };
  return {
    indent: unit,
    hasMetadata: meta !== undefined,
    rawMetadata: meta ? toJs(meta[1]) : undefined,
    branches: () => [mapNode(root)],
    removeMetadata,
    setMetadata(entries: MetaEntries): void {
      removeMetadata();
      root.entries.push(['sops', { t: 'obj', entries: entries.map(([k, v]) => [k, fromMeta(v)]) }]);
    },
    toString: () => `${emit(root, '', unit)}\n`,
  };
}
