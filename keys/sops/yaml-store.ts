// YAML store on top of the `yaml` package's Document API. The document is edited in place
// (values and comment lines are replaced through setters), so key order, comments and the
// layout of untouched nodes survive. Multi-document streams are handled like sops'
// stores/yaml: every document is a branch, one MAC covers them all, and every document
// carries the same `sops:` block (read back from the first document).
import { Alias, Document, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, Scalar, YAMLMap, YAMLSeq, visit, type Node as YNode, type Pair } from 'yaml';

import type { Leaf } from './cipher.js';
import { formatGoFloatF, parseGoFloat } from './cipher.js';
import type { MetaEntries, MetaValue } from './metadata.js';
import type { CommentItem, MapItem, MapNode, SeqItem, TreeNode } from './tree.js';
import { StoreError, type ParsedStore } from './store.js';

const TO_STRING = { indent: 4, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false } as const;

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

function scalarLeaf(s: Scalar, where: string): Leaf | null {
  const v = s.value;
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return { kind: 'str', text: v };
  if (typeof v === 'bigint') return { kind: 'int', text: v.toString() };
  if (typeof v === 'boolean') return { kind: 'bool', text: v ? 'True' : 'False' };
  if (typeof v === 'number') {
    if (Number.isInteger(v) && s.tag === 'tag:yaml.org,2002:int') return { kind: 'int', text: BigInt(v).toString() };
    return { kind: 'float', text: formatGoFloatF(v) };
  }
  throw new StoreError(`unsupported scalar value at ${where}`);
}


/** Writes a leaf into a scalar node in place (keeps its comments and blank-line spacing). */
function writeLeaf(s: Scalar, leaf: Leaf): void {
  s.tag = undefined;
  s.type = undefined;
  s.format = undefined;
  switch (leaf.kind) {
    case 'int': {
      // bigint, as the parser yields (intAsBigInt): keeps it an int when the tree is walked again.
      s.value = BigInt(leaf.text);
      break;
    }
    case 'float':
      s.value = parseGoFloat(leaf.text) ?? NaN;
      // sops (go-yaml) writes 1.0 as "1", which reads back as an int and so re-encrypts with a
      // new type and ciphertext after an edit; we keep one fraction digit so the type survives.
      s.minFractionDigits = 1;
      break;
    case 'bool':
      s.value = leaf.text === 'True';
      break;
    default:
      s.value = leaf.text;
      if (leaf.text.includes('\n')) s.type = Scalar.BLOCK_LITERAL;
  }
}

type Pending = (() => void)[];

function buildMap(m: YAMLMap, path: string, head: CommentItem[], tail: CommentItem[], pending: Pending): MapNode {
  const items: MapItem[] = [...head, ...commentItems(m, 'commentBefore')];
  for (const pair of m.items as Pair<unknown, unknown>[]) {
    const k = pair.key;
    if (!isScalar(k) || typeof k.value !== 'string') throw new StoreError(`mapping key ${JSON.stringify(isScalar(k) ? String(k.value) : typeof k)} at ${path || '/'} is not a string; only string keys are supported`);
    const key = k.value;
    items.push(...commentItems(k, 'commentBefore'), ...commentItems(k, 'comment'));
    const v = pair.value;
    const scalarLike = v === null || v === undefined || isScalar(v);
    if (scalarLike && v) items.push(...commentItems(v as Scalar, 'commentBefore'), ...commentItems(v as Scalar, 'comment'));
    items.push({ t: 'pair', key, value: buildValue(v, `${path}/${key}`, pending) });
  }
  items.push(...commentItems(m, 'comment'), ...tail);
  return { t: 'map', items };
}

function buildValue(v: unknown, path: string, pending: Pending): TreeNode {
  if (v === null || v === undefined) {
    return { t: 'null' };
  }
  if (isMap(v)) return buildMap(v, path, [], [], pending);
  if (isSeq(v)) {
    const items: SeqItem[] = [...commentItems(v, 'commentBefore')];
    v.items.forEach((item, index) => {
      if (isScalar(item)) items.push(...commentItems(item, 'commentBefore'), ...commentItems(item, 'comment'));
      const n = buildValue(item, `${path}[${index}]`, pending);
      if (n.t === 'leaf' && isScalar(item)) n.toComment = (text: string) => pending.push(() => seqItemToComment(v, item, text));
      items.push(n);
    });
    items.push(...commentItems(v, 'comment'));
    return { t: 'seq', items };
  }
  if (isScalar(v)) {
    const leaf = scalarLeaf(v, path);
    if (!leaf) return { t: 'null' };
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

/** Replaces every alias with a copy of its target, as sops' tree model does, and drops anchors. */
function expandAliases(doc: Document): void {
  visit(doc, {
    Alias(_key, node: Alias) {
      const target = node.resolve(doc);
      if (!target) throw new StoreError(`unresolved alias *${node.source}`);
      return target.clone() as YNode;
    },
  });
  visit(doc, {
    Node(_key, node) {
      if ('anchor' in node) (node as { anchor?: string }).anchor = undefined;
    },
  });
}

function toYamlValue(v: MetaValue, doc: Document, key?: string): unknown {
  if (Array.isArray(v)) {
    const seq = new YAMLSeq();
    for (const item of v) seq.items.push(toYamlValue(item, doc));
    return seq;
  }
  if (typeof v === 'object') {
    const map = new YAMLMap();
    for (const [k, val] of Object.entries(v)) map.items.push(doc.createPair(k, toYamlValue(val, doc, k)) as Pair<unknown, unknown>);
    return map;
  }
  const s = new Scalar(v);
  if (typeof v === 'string' && v.includes('\n')) s.type = Scalar.BLOCK_LITERAL;
  // go-yaml quotes strings that would read back as timestamps; sops files show them quoted.
  else if (key === 'lastmodified' || key === 'created_at') s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

export function parseYaml(text: string): ParsedStore {
  const parsed = parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: true });
  const docs: Document[] = Array.isArray(parsed) ? (parsed as Document[]) : [];
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new StoreError(`invalid YAML: ${err.code}`, pos ? `line ${pos.line}, column ${pos.col}` : undefined);
    }
  }
  for (const d of docs) expandAliases(d);
  const metaNode = docs[0] && isMap(docs[0].contents) ? docs[0].contents.items.find((p) => isScalar(p.key) && p.key.value === 'sops') : undefined;
  const rawMetadata = metaNode ? toJs(metaNode.value, docs[0] as Document) : undefined;

  const removeSops = (): void => {
    for (const d of docs) {
      if (isMap(d.contents)) d.contents.items = d.contents.items.filter((p) => !(isScalar(p.key) && p.key.value === 'sops'));
    }
  };

  const pending: Pending = [];
  return {
    hasMetadata: metaNode !== undefined,
    rawMetadata,
    branches(): MapNode[] {
      return docs.map((d) => {
        const head = commentItems(d, 'commentBefore');
        const tail = commentItems(d, 'comment');
        const c = d.contents;
        if (c === null || (isScalar(c) && c.value === null)) {
          // An empty document: comments only (or nothing), like sops' null document.
          return { t: 'map', items: [...head, ...tail] } satisfies MapNode;
        }
        if (isSeq(c)) throw new StoreError('YAML documents that are sequences are not supported');
        if (!isMap(c)) throw new StoreError('YAML documents that are values are not supported');
        return buildMap(c, '', head, tail, pending);
      });
    },
    removeMetadata: removeSops,
    setMetadata(entries: MetaEntries): void {
      removeSops();
      for (const d of docs) {
        if (d.contents === null || !isMap(d.contents)) d.contents = new YAMLMap() as unknown as typeof d.contents;
        const map = new YAMLMap();
        for (const [k, v] of entries) map.items.push(d.createPair(k, toYamlValue(v, d, k)) as Pair<unknown, unknown>);
        (d.contents as YAMLMap).items.push(d.createPair('sops', map) as Pair<unknown, unknown>);
      }
    },
    toString(): string {
      for (const p of pending.splice(0)) p();
      return docs
        .map((d, i) => {
          if (d.directives) d.directives.docStart = null;
          const s = d.toString(TO_STRING);
          return i === 0 ? s : `---\n${s}`;
        })
        .join('');
    },
  };
}

function toJs(node: unknown, doc: Document): unknown {
  if (node === null || node === undefined) return node;
  if (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node)) return (node as { toJS(d: Document): unknown }).toJS(doc);
  if (isPair(node)) return undefined;
  return node;
}
