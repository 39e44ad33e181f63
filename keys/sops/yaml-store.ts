// YAML store on top of the `yaml` package's Document API. The document is edited in place
// (values and comment lines are replaced through setters), so key order, comments and the
// layout of untouched nodes survive. Multi-document streams are handled like sops'
// stores/yaml: every document is a branch, one MAC covers them all, and every document
// carries the same `sops:` block (read back from the first document).
//
// Scalars are parsed as text (failsafe schema) and typed by yaml-resolve.ts exactly as sops'
// go-yaml v3 types them; keys are checked for duplicates with a set (the `yaml` package's
// uniqueKeys check compares every pair with every other: quadratic, minutes at 100k keys).
import { Document, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, YAMLMap, YAMLSeq, type Pair } from 'yaml';

import type { Leaf } from './cipher.js';
import type { MetaEntries, MetaValue } from './metadata.js';
import type { CommentItem, MapItem, MapNode, SeqItem, TreeNode } from './tree.js';
import { StoreError, type ParsedStore } from './store.js';
import { expandAliases } from './yaml-aliases.js';
import { mustQuote, ResolveError, resolveScalar, yamlFloatText, type Resolved } from './yaml-resolve.js';

// singleQuote: where a plain scalar is impossible (`a: b`, `#x`), go-yaml picks single quotes.
const TO_STRING = { indent: 4, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false, singleQuote: true } as const;

type CommentField = 'commentBefore' | 'comment';
type Commentable = { commentBefore?: string | null; comment?: string | null };

function commentItems(node: Commentable | null | undefined, field: CommentField): CommentItem[] {
  const raw = node?.[field];
  if (!node || !raw) return [];
  const lines = raw.split('\n');
  const out: CommentItem[] = [];
  lines.forEach((text, i) => {
    // Blank lines inside a comment block are layout, not comments (sops skips them too).
    if (text === '') return;
    out.push({
      t: 'comment',
      c: {
        text,
        set(v: string) {
          lines[i] = v;
          this.text = v;
          node[field] = lines.join('\n');
        },
      },
    });
  });
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The scalar as go-yaml v3 decodes it into sops' tree (see yaml-resolve.ts). */
function resolveNode(s: Scalar, where: () => string): Resolved {
  let text: string;
  if (typeof s.value === 'string') text = s.value;
  else if (s.value instanceof Uint8Array) {
    // !!binary: go-yaml hands sops the decoded bytes as a string.
    try {
      text = utf8.decode(s.value);
    } catch {
      throw new StoreError(`!!binary value at ${where()} is not UTF-8 text; not supported`);
    }
    return { kind: 'str', text };
  } else if (s.value === null || s.value === undefined) return null;
  else throw new StoreError(`unsupported scalar value at ${where()}`);
  try {
    return resolveScalar({ text, quoted: s.type !== undefined && s.type !== Scalar.PLAIN, tag: s.tag });
  } catch (err) {
    if (err instanceof ResolveError) throw new StoreError(`${err.message} at ${where()}`);
    throw err;
  }
}

/** Writes a leaf into a scalar node in place (keeps its comments and blank-line spacing), as go-yaml writes the value. */
function writeLeaf(s: Scalar, leaf: Leaf): void {
  s.tag = undefined;
  s.format = undefined;
  s.type = Scalar.PLAIN;
  switch (leaf.kind) {
    case 'int':
    case 'time':
      s.value = leaf.text;
      break;
    case 'float':
      s.value = yamlFloatText(leaf.text);
      break;
    case 'bool':
      s.value = leaf.text === 'True' ? 'true' : 'false';
      break;
    default:
      s.value = leaf.text;
      if (leaf.text.includes('\n')) s.type = Scalar.BLOCK_LITERAL;
      else if (mustQuote(leaf.text)) s.type = Scalar.QUOTE_DOUBLE;
  }
}

type Pending = (() => void)[];

interface BuildCtx {
  pending: Pending;
  lines: LineCounter;
}

/** A key sops would not hold as a string: a collection, null, or a scalar go-yaml retypes (`0b10`, `2027-01-01`). */
function nonStringKey(k: unknown, leaf: Resolved | undefined, path: string, lines: LineCounter): StoreError {
  const range = (k as { range?: [number, number, number] } | null)?.range;
  const pos = range ? lines.linePos(range[0]) : undefined;
  const at = pos ? `line ${pos.line}, column ${pos.col}` : undefined;
  const where = path || '/';
  if (!isScalar(k)) {
    const what = isMap(k) ? 'a mapping' : isSeq(k) ? 'a sequence' : 'empty';
    return new StoreError(`a mapping key at ${where} is ${what}; only string keys are supported`, at);
  }
  const type = leaf === null || leaf === undefined ? 'null' : leaf.kind;
  return new StoreError(
    `mapping key ${JSON.stringify(String(k.value).slice(0, 64))} at ${where} reads as ${type === 'null' ? 'null' : type === 'int' ? 'an int' : `a ${type}`} in YAML (sops' go-yaml); only string keys are supported: quote it`,
    at,
  );
}

function buildMap(m: YAMLMap, path: string, head: CommentItem[], tail: CommentItem[], ctx: BuildCtx): MapNode {
  const items: MapItem[] = [...head, ...commentItems(m, 'commentBefore')];
  const seen = new Set<string>();
  for (const pair of m.items as Pair<unknown, unknown>[]) {
    const k = pair.key;
    const keyLeaf = isScalar(k) ? resolveNode(k, () => path || '/') : undefined;
    if (!isScalar(k) || keyLeaf?.kind !== 'str') throw nonStringKey(k, keyLeaf, path, ctx.lines);
    const key = keyLeaf.text;
    if (seen.has(key)) {
      const pos = k.range ? ctx.lines.linePos(k.range[0]) : undefined;
      throw new StoreError(
        `invalid YAML: mapping key ${JSON.stringify(key.slice(0, 64))} already defined`,
        pos ? `line ${pos.line}, column ${pos.col}` : undefined,
      );
    }
    seen.add(key);
    // A plain key is written as go-yaml writes a string key (sops rebuilds every key): `yes`,
    // `on`, `n`, `1:20` double-quoted, so that a YAML 1.1 reader (kubectl) does not turn the
    // key into a bool or a number. Quoted keys keep their style, as quoted values do.
    if ((k.type === Scalar.PLAIN || k.type === undefined) && mustQuote(key)) k.type = Scalar.QUOTE_DOUBLE;
    items.push(...commentItems(k, 'commentBefore'), ...commentItems(k, 'comment'));
    const v = pair.value;
    const scalarLike = v === null || v === undefined || isScalar(v);
    if (scalarLike && v) items.push(...commentItems(v as Scalar, 'commentBefore'), ...commentItems(v as Scalar, 'comment'));
    items.push({ t: 'pair', key, value: buildValue(v, `${path}/${key}`, ctx) });
  }
  items.push(...commentItems(m, 'comment'), ...tail);
  return { t: 'map', items };
}

function buildValue(v: unknown, path: string, ctx: BuildCtx): TreeNode {
  if (v === null || v === undefined) {
    return { t: 'null' };
  }
  if (isMap(v)) return buildMap(v, path, [], [], ctx);
  if (isSeq(v)) {
    const items: SeqItem[] = [...commentItems(v, 'commentBefore')];
    v.items.forEach((item, index) => {
      if (isScalar(item)) items.push(...commentItems(item, 'commentBefore'), ...commentItems(item, 'comment'));
      const n = buildValue(item, `${path}[${index}]`, ctx);
      if (n.t === 'leaf' && isScalar(item)) n.toComment = (text: string) => ctx.pending.push(() => seqItemToComment(v, item, text));
      items.push(n);
    });
    items.push(...commentItems(v, 'comment'));
    return { t: 'seq', items };
  }
  if (isScalar(v)) {
    const leaf = resolveNode(v, () => path);
    if (!leaf) {
      // go-yaml writes every null as `null` (sops does too): not `~`, nor an empty value that
      // leaves `- ` with a trailing space in a list. Quoted scalars are never null.
      v.value = 'null';
      v.tag = undefined;
      return { t: 'null' };
    }
    // A plain scalar is written as go-yaml writes its value, as sops does for every value: `yes`
    // becomes "yes" and `0x1F` 31, so a YAML 1.1 reader (kubectl) sees the type sops assigned
    // and MACs. Quoted and block scalars are strings for every reader and keep their style.
    if (v.type === Scalar.PLAIN || v.type === undefined) writeLeaf(v, leaf);
    return {
      t: 'leaf',
      leaf,
      set(l: Leaf) {
        writeLeaf(v, l);
        this.leaf = l;
      },
    };
  }
  throw new StoreError(`unsupported YAML node at ${path}`);
}

/** Turns a decrypted `- ENC[...,type:comment]` list item back into a comment line, as sops does. */
function seqItemToComment(seq: YAMLSeq, item: Scalar, text: string): void {
  const idx = seq.items.indexOf(item);
  if (idx < 0) return;
  seq.items.splice(idx, 1);
  const lines = [item.commentBefore, text, item.comment].filter((x): x is string => typeof x === 'string' && x !== '');
  const next = seq.items[idx] as Commentable | undefined;
  if (next && typeof next === 'object') next.commentBefore = [...lines, next.commentBefore].filter((x) => x).join('\n');
  else seq.comment = [seq.comment, ...lines].filter((x) => x).join('\n');
}

function toYamlValue(v: MetaValue, doc: Document): unknown {
  if (Array.isArray(v)) {
    const seq = new YAMLSeq();
    for (const item of v) seq.items.push(toYamlValue(item, doc));
    return seq;
  }
  if (typeof v === 'object') {
    const map = new YAMLMap();
    for (const [k, val] of Object.entries(v)) map.items.push(doc.createPair(k, toYamlValue(val, doc)) as Pair<unknown, unknown>);
    return map;
  }
  const s = new Scalar(typeof v === 'boolean' ? String(v) : v);
  if (typeof v === 'string' && v.includes('\n')) s.type = Scalar.BLOCK_LITERAL;
  // go-yaml quotes strings that would read back as another type: lastmodified, created_at.
  else if (typeof v === 'string' && mustQuote(v)) s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

/** The `sops` block as plain JS for parseMetadata: maps, lists, booleans, null, other scalars as text. */
function metaJs(node: unknown): unknown {
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const p of node.items) out[isScalar(p.key) ? String(p.key.value) : ''] = metaJs(p.value);
    return out;
  }
  if (isSeq(node)) return node.items.map(metaJs);
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return node.value;
    let r: Resolved;
    try {
      r = resolveScalar({ text: node.value, quoted: node.type !== undefined && node.type !== Scalar.PLAIN, tag: node.tag });
    } catch {
      return node.value;
    }
    if (r === null) return null;
    return r.kind === 'bool' ? r.text === 'True' : node.value;
  }
  return undefined;
}

/**
 * The indentation of an encrypted file, read from its `sops:` block (always a mapping with
 * children, always written by sops or by us). go-yaml accepts 2 to 9.
 */
function sopsBlockIndent(text: string): number | undefined {
  const m = /^sops:[ \t]*\r?\n( +)\S/m.exec(text);
  const n = m?.[1]?.length;
  return n !== undefined && n >= 2 && n <= 9 ? n : undefined;
}

/**
 * `indent`: write with this indentation (an edit's plaintext is written back as the encrypted
 * file was). Without it, an encrypted file keeps its own and anything else gets sops' default 4,
 * so a file sops wrote with `stores.yaml.indent: 2` is not re-indented by rotate or edit.
 */
export function parseYaml(text: string, indent?: string): ParsedStore {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: true, lineCounter: lines });
  const docs: Document[] = Array.isArray(parsed) ? (parsed as Document[]) : [];
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new StoreError(`invalid YAML: ${err.code}`, pos ? `line ${pos.line}, column ${pos.col}` : undefined);
    }
  }
  for (const d of docs) expandAliases(d);
  const metaNode =
    docs[0] && isMap(docs[0].contents) ? docs[0].contents.items.find((p) => isScalar(p.key) && p.key.value === 'sops') : undefined;
  const rawMetadata = metaNode ? metaJs(metaNode.value) : undefined;

  const removeSops = (): void => {
    for (const d of docs) {
      if (isMap(d.contents)) d.contents.items = d.contents.items.filter((p) => !(isScalar(p.key) && p.key.value === 'sops'));
    }
  };

  const ctx: BuildCtx = { pending: [], lines };
  const given = indent !== undefined && /^ {2,9}$/.test(indent) ? indent.length : undefined;
  const width = given ?? (metaNode !== undefined ? sopsBlockIndent(text) : undefined) ?? TO_STRING.indent;
  return {
    indent: ' '.repeat(width),
    hasMetadata: metaNode !== undefined,
    rawMetadata,
    branches(): MapNode[] {
      return docs.map((d) => {
        const head = commentItems(d, 'commentBefore');
        const tail = commentItems(d, 'comment');
        const c = d.contents;
        if (c === null || (isScalar(c) && resolveNode(c, () => '/') === null)) {
          // An empty document: comments only (or nothing), like sops' null document.
          return { t: 'map', items: [...head, ...tail] } satisfies MapNode;
        }
        if (isSeq(c)) throw new StoreError('YAML documents that are sequences are not supported');
        if (!isMap(c)) throw new StoreError('YAML documents that are values are not supported');
        return buildMap(c, '', head, tail, ctx);
      });
    },
    removeMetadata: removeSops,
    setMetadata(entries: MetaEntries): void {
      removeSops();
      for (const d of docs) {
        if (d.contents === null || !isMap(d.contents)) d.contents = new YAMLMap() as unknown as typeof d.contents;
        const map = new YAMLMap();
        for (const [k, v] of entries) map.items.push(d.createPair(k, toYamlValue(v, d)) as Pair<unknown, unknown>);
        (d.contents as YAMLMap).items.push(d.createPair('sops', map) as Pair<unknown, unknown>);
      }
    },
    toString(): string {
      for (const p of ctx.pending.splice(0)) p();
      return docs
        .map((d, i) => {
          if (d.directives) d.directives.docStart = null;
          const s = d.toString({ ...TO_STRING, indent: width });
          return i === 0 ? s : `---\n${s}`;
        })
        .join('');
    },
  };
}
