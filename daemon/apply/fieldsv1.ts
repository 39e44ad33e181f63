// managedFields `fieldsV1` trees (structured-merge-diff's FieldSet JSON): keys are
//   f:<name>        a map field
//   k:{"name":"x"}  a list item identified by its key fields
//   v:<json>        a set item (list of scalars) identified by its value
//   i:<n>           a list item by index (atomic lists of non-scalars)
//   .               the node itself
// We walk the tree over two objects at once to find the fields we manage whose value differs.
import { deepEqual } from './compare.js';

export type FieldsV1 = { [key: string]: FieldsV1 };

export interface RawChange {
  path: string;
  /** Segments of the path; the first one tells whether it is under `data` of a Secret. */
  segments: string[];
  before: unknown;
  after: unknown;
}

/** Union of two FieldSets. */
export function mergeFields(a: FieldsV1 | undefined, b: FieldsV1 | undefined): FieldsV1 {
  const out: FieldsV1 = {};
  for (const src of [a, b]) {
    if (!src) continue;
    for (const [k, v] of Object.entries(src)) out[k] = mergeFields(out[k], v);
  }
  return out;
}

function isLeaf(f: FieldsV1): boolean {
  return Object.keys(f).every((k) => k === '.');
}

function getField(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[name] : undefined;
}

function findByKey(list: unknown, key: Record<string, unknown>): unknown {
  if (!Array.isArray(list)) return undefined;
  return list.find((item) => Object.entries(key).every(([k, v]) => deepEqual(getField(item, k), v)));
}

const SIMPLE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
function segment(name: string): string {
  return SIMPLE.test(name) ? name : `[${JSON.stringify(name)}]`;
}

function join(prefix: string, seg: string): string {
  if (prefix === '') return seg.startsWith('[') ? seg : seg;
  return seg.startsWith('[') ? `${prefix}${seg}` : `${prefix}.${seg}`;
}

/** Fields in `fields` whose value differs between `before` (live) and `after` (would-be). */
export function changedFields(fields: FieldsV1, before: unknown, after: unknown, prefix = '', segs: string[] = []): RawChange[] {
  const out: RawChange[] = [];
  for (const [k, sub] of Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (k === '.') continue;
    let b: unknown;
    let a: unknown;
    let seg: string;
    let raw: string;
    let leaf = isLeaf(sub);
    if (k.startsWith('f:')) {
      raw = k.slice(2);
      seg = segment(raw);
      b = getField(before, raw);
      a = getField(after, raw);
    } else if (k.startsWith('k:')) {
      const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
      raw = Object.entries(key)
        .map(([kk, vv]) => `${kk}=${typeof vv === 'string' ? vv : JSON.stringify(vv)}`)
        .join(',');
      seg = `[${raw}]`;
      b = findByKey(before, key);
      a = findByKey(after, key);
    } else if (k.startsWith('v:')) {
      const val: unknown = JSON.parse(k.slice(2));
      raw = JSON.stringify(val);
      seg = `[${raw}]`;
      b = Array.isArray(before) && before.some((x) => deepEqual(x, val)) ? val : undefined;
      a = Array.isArray(after) && after.some((x) => deepEqual(x, val)) ? val : undefined;
      leaf = true;
    } else if (k.startsWith('i:')) {
      const idx = Number(k.slice(2));
      raw = String(idx);
      seg = `[${idx}]`;
      b = Array.isArray(before) ? before[idx] : undefined;
      a = Array.isArray(after) ? after[idx] : undefined;
    } else {
      continue; // unknown prefix: newer format we do not understand; skip rather than guess
    }
    const path = join(prefix, seg);
    const nextSegs = [...segs, raw];
    if (leaf || a === undefined || b === undefined) {
      if (!deepEqual(a, b)) out.push({ path, segments: nextSegs, before: b, after: a });
    } else {
      out.push(...changedFields(sub, b, a, path, nextSegs));
    }
  }
  return out;
}
