// Converts one parsed YAML document (the `yaml` package's node tree, parsed with the failsafe schema so
// every scalar is still text) into the JSON value kubectl would produce for it. The `yaml` package only
// parses; meaning is assigned here, following go-yaml v2 + sigs.k8s.io/yaml (see resolve.ts).

import { Alias, Document, isAlias, isMap, isScalar, isSeq, Scalar, type Node } from 'yaml';
import { formatFloatKey, resolvePlain, resolveTagged, ScalarTagError, TAGS, type ResolvedScalar } from './resolve.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A conversion problem at a byte offset of the document text; the caller turns it into file:line:col. */
export class ConvertError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ConvertOptions {
  /** kubectl keeps the last of duplicate keys silently; we reject them unless this is set. */
  allowDuplicateKeys?: boolean;
}

/**
 * Budget of nodes produced by alias expansion per document (billion-laughs protection, like go-yaml's
 * alias ratio check). Ordinary documents, even large CRDs, use few or no aliases.
 */
const MAX_EXPANDED_NODES = 100_000;

interface Ctx {
  doc: Document;
  opts: ConvertOptions;
  expanded: number;
  /** > 0 while converting the target of an alias. */
  aliasDepth: number;
  /** Nodes currently being converted: an alias back to one of them is a cycle. */
  active: Set<Node>;
}

export function documentToJson(doc: Document, opts: ConvertOptions = {}): JsonValue {
  const ctx: Ctx = { doc, opts, expanded: 0, aliasDepth: 0, active: new Set() };
  return convert(doc.contents as Node | null, ctx);
}

function offsetOf(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

function resolveScalar(node: Scalar): ResolvedScalar {
  const text = node.value === null || node.value === undefined ? '' : String(node.value);
  if (node.tag) {
    try {
      return resolveTagged(node.tag, text);
    } catch (e) {
      if (e instanceof ScalarTagError) throw new ConvertError(e.message, offsetOf(node));
      throw e;
    }
  }
  // Quoted and block scalars are always strings; only plain scalars are resolved.
  if (node.type === Scalar.PLAIN || node.type === undefined) return resolvePlain(text);
  return { kind: 'str', value: text };
}

function scalarToJson(node: Scalar): JsonValue {
  const r = resolveScalar(node);
  switch (r.kind) {
    case 'null':
      return null;
    case 'bool':
    case 'timestamp':
      return r.value;
    case 'str':
      return flat(r.value);
    case 'int':
      if (!Number.isSafeInteger(r.value)) {
        // kubectl would keep the exact int64; a JS number cannot, and rounding silently would apply a
        // different value than the one written. Refuse instead.
        throw new ConvertError(
          'integer outside ±(2^53−1) cannot be represented exactly; quote it if it is meant as a string',
          offsetOf(node),
        );
      }
      return r.value;
    case 'float':
      if (!Number.isFinite(r.value)) {
        throw new ConvertError('.inf and .nan have no JSON representation (kubectl rejects them too)', offsetOf(node));
      }
      return r.value;
  }
}

/**
 * `s` as one flat string. The yaml package builds a quoted scalar a character at a time, which
 * V8 keeps as a rope: a 200-character value held ~190 nodes, 6 KB instead of 0.2 KB, for as long
 * as the object lives (the file cache keeps it). A 20,000-object sync's first apply ran out of a
 * 160 MiB heap on them (issue 18). Converting to a number makes V8 flatten the string in place.
 */
function flat(s: string): string {
  void Number(s);
  return s;
}

function keyToString(node: Node | null, ctx: Ctx, at: number): string {
  let target: Node | null = node;
  if (target && isAlias(target)) target = deref(target, ctx);
  if (target === null || target === undefined) throw new ConvertError('null map key cannot be converted to JSON', at);
  if (!isScalar(target)) throw new ConvertError('map key must be a scalar, not a mapping or sequence', offsetOf(target));
  const r = resolveScalar(target);
  switch (r.kind) {
    case 'null':
      throw new ConvertError('null map key cannot be converted to JSON', offsetOf(target));
    case 'bool':
      return r.value ? 'true' : 'false';
    case 'str':
    case 'timestamp':
      return r.value;
    case 'int':
      if (r.exact > 2n ** 63n - 1n) throw new ConvertError('unsigned 64-bit map key is not supported by kubectl', offsetOf(target));
      return r.exact.toString();
    case 'float':
      return formatFloatKey(r.value);
  }
}

function deref(alias: Alias, ctx: Ctx): Node {
  const target = alias.resolve(ctx.doc) as Node | undefined;
  if (!target) throw new ConvertError(`unknown anchor "${alias.source}"`, offsetOf(alias));
  return target;
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key) || key.value !== '<<') return false;
  return key.tag === TAGS.merge || (!key.tag && key.type === Scalar.PLAIN);
}

function setKey(obj: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else obj[key] = value;
}

function convert(node: Node | null | undefined, ctx: Ctx): JsonValue {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = deref(node, ctx);
    if (ctx.active.has(target)) throw new ConvertError('alias refers to a node that contains it', offsetOf(node));
    ctx.aliasDepth++;
    try {
      return convertCounted(target, ctx);
    } finally {
      ctx.aliasDepth--;
    }
  }
  return convertCounted(node, ctx);
}

function convertCounted(node: Node, ctx: Ctx): JsonValue {
  if (ctx.aliasDepth > 0) ctx.expanded++;
  if (ctx.expanded > MAX_EXPANDED_NODES) {
    throw new ConvertError('aliases expand to too many nodes (possible billion-laughs document)', offsetOf(node));
  }
  if (isScalar(node)) return scalarToJson(node);
  ctx.active.add(node);
  try {
    if (isSeq(node)) return node.items.map((item) => convert(item as Node | null, ctx));
    if (isMap(node)) {
      const out: Record<string, JsonValue> = {};
      const explicit = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (isMergeKey(keyNode)) {
          mergeInto(out, pair.value as Node | null, ctx, offsetOf(keyNode));
          continue;
        }
        const key = keyToString(keyNode, ctx, offsetOf(node));
        if (explicit.has(key) && !ctx.opts.allowDuplicateKeys) {
          throw new ConvertError(`duplicate key "${key}" in mapping`, offsetOf(keyNode));
        }
        explicit.add(key);
        setKey(out, key, convert(pair.value as Node | null, ctx));
      }
      return out;
    }
  } finally {
    ctx.active.delete(node);
  }
  throw new ConvertError('unsupported YAML node', offsetOf(node));
}

/**
 * go-yaml v2 merge semantics, which kubectl inherits: the merged mapping's keys are assigned at the
 * position of `<<`, so they override keys written *before* it and are overridden by keys after it; in a
 * sequence of mappings the earlier ones win.
 */
function mergeInto(out: Record<string, JsonValue>, value: Node | null, ctx: Ctx, at: number): void {
  const sources: (Node | null)[] = value && isSeq(value) ? [...(value.items as (Node | null)[])].reverse() : [value];
  for (const src of sources) {
    const resolved = src && isAlias(src) ? deref(src, ctx) : src;
    if (!resolved || !isMap(resolved)) {
      throw new ConvertError('map merge requires a mapping or a sequence of mappings as value', at);
    }
    const merged = convert(src, ctx) as Record<string, JsonValue>;
    for (const [k, v] of Object.entries(merged)) setKey(out, k, v);
  }
}
