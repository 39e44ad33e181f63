// What counts as drift, against a baseline taken from our own apply (the apply's answer, or the
// live object a no-op apply skipped: daemon/apply AppliedObject), never from a later read of the
// cluster — a change that landed between our apply and such a read would become the baseline,
// and be kept forever. An object has drifted when
//   - a field we owned right after our apply has another value live (compared with the value the
//     apiserver stored, not the manifest, so server-side normalization — quantities, defaults —
//     is no drift), or
//   - such a field is no longer ours live: another manager changed it (an Update takes over the
//     fields it changes) or removed it (then it leaves every manager's set), or
//   - the object is gone.
// Fields we never owned (an HPA's replicas, a label someone added) are left alone.
//
// Kept per object: our field set (interned: 1,000 ConfigMaps with the same keys share one), a
// salted 16-byte digest of all our values and 8 bytes per owned leaf (digests of each value, to
// name what changed) — so the baseline holds no Secret value and stays small; the values
// themselves are in the desired state already. A check hashes each object once; leaves only
// when that differs.
import { hash, randomBytes } from 'node:crypto';
import type { FieldsV1 } from '../apply/index.js';
import type { KubeObject } from '../kube/types.js';

/** One step into an object, from a managedFields key (f:, k:, v:, i:). */
type Step = { f: string } | { k: Record<string, unknown> } | { v: unknown } | { i: number };

interface Leaf {
  /** Readable path (`data.k`, `spec.containers[name=app].image`), for logs: no values. */
  path: string;
  /** The managedFields keys leading to it, for the ownership test. */
  keys: string[];
  steps: Step[];
}

export interface Baseline {
  /** Our managedFields entry (manager ours, operation Apply) right after our apply. */
  readonly fields: FieldsV1;
  /**
   * 16 bytes of the digest of all values of `valueFields(fields)`'s leaves, then 8 bytes per
   * leaf of its own value's digest (non-enumerable).
   */
  readonly digest: Buffer;
}

/** Drift of one object: paths whose value changed, paths no longer ours and who has them now. */
export interface Drift {
  changed: string[];
  lost: string[];
  owners: string[];
}

/** Per process: a digest means nothing outside this process's memory. */
const SALT = randomBytes(16).toString('latin1');
const OBJECT_BYTES = 16;
const LEAF_BYTES = 8;

export function ownedEntryFields(obj: KubeObject, manager: string): FieldsV1 | undefined {
  const entry = obj.metadata.managedFields?.find((f) => f.manager === manager && f.operation === 'Apply' && !f.subresource);
  return entry?.fieldsV1 as FieldsV1 | undefined;
}

/** Our fields with the values' view of a Secret (see stringDataAsData); other kinds unchanged. */
export function ownedFields(obj: KubeObject, manager: string): FieldsV1 | undefined {
  const fields = ownedEntryFields(obj, manager);
  return fields && isSecret(obj) ? stringDataAsData(fields) : fields;
}

const isSecret = (obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean => obj.apiVersion === 'v1' && obj.kind === 'Secret';

/**
 * A Secret's stringData is write-only: the apiserver merges it into data and never stores it,
 * so owning `stringData.K` (how sops-encrypted Secrets are usually written) means owning
 * `data.K`. Without this, a `kubectl edit` of such a value compared two absent stringData
 * fields and was never seen as drift.
 */
function stringDataAsData(fields: FieldsV1): FieldsV1 {
  const sd = fields['f:stringData'];
  if (!sd) return fields;
  return { ...fields, 'f:data': { ...(fields['f:data'] ?? {}), ...sd } };
}

/** Field sets by their JSON: objects with the same keys share one tree and one leaf list. */
export class FieldSetPool {
  private byJson = new Map<string, FieldsV1>();
  intern(fields: FieldsV1): FieldsV1 {
    const json = JSON.stringify(fields);
    const known = this.byJson.get(json);
    if (known) return known;
    this.byJson.set(json, fields);
    return fields;
  }
  /** Forget the sets no baseline in `keep` uses. */
  retain(keep: Iterable<Baseline | undefined>): void {
    const used = new Set<FieldsV1>();
    for (const b of keep) if (b) used.add(b.fields);
    for (const [json, f] of this.byJson) if (!used.has(f)) this.byJson.delete(json);
  }
}

/** The baseline of an object as our apply stored it (no entry of ours: nothing owned, only its existence counts). */
export function baselineOf(stored: KubeObject, manager: string, pool?: FieldSetPool): Baseline {
  const raw = ownedEntryFields(stored, manager) ?? {};
  const fields = pool ? pool.intern(raw) : raw;
  const texts = valueTexts(leavesOf(valueFields(fields, stored)), stored);
  const digest = Buffer.alloc(OBJECT_BYTES + texts.length * LEAF_BYTES);
  objectDigest(texts).copy(digest, 0, 0, OBJECT_BYTES);
  texts.forEach((t, i) => leafDigest(t).copy(digest, OBJECT_BYTES + i * LEAF_BYTES, 0, LEAF_BYTES));
  const base = { fields } as Baseline;
  Object.defineProperty(base, 'digest', { value: digest, enumerable: false, writable: false });
  return base;
}

const secretViews = new WeakMap<FieldsV1, FieldsV1>();
function valueFields(fields: FieldsV1, obj: Pick<KubeObject, 'apiVersion' | 'kind'>): FieldsV1 {
  if (!isSecret(obj)) return fields;
  let v = secretViews.get(fields);
  if (!v) secretViews.set(fields, (v = stringDataAsData(fields)));
  return v;
}

/** How `live` differs from the baseline; empty lists when it does not. */
export function driftOf(base: Baseline, live: KubeObject | undefined, manager: string): Drift {
  if (!live) return { changed: ['(deleted)'], lost: [], owners: [] };
  const leaves = leavesOf(valueFields(base.fields, live));
  const texts = valueTexts(leaves, live);
  const changed: string[] = [];
  if (!objectDigest(texts).subarray(0, OBJECT_BYTES).equals(base.digest.subarray(0, OBJECT_BYTES)))
    texts.forEach((t, i) => {
      const at = OBJECT_BYTES + i * LEAF_BYTES;
      if (
        !leafDigest(t)
          .subarray(0, LEAF_BYTES)
          .equals(base.digest.subarray(at, at + LEAF_BYTES))
      )
        changed.push((leaves[i] as Leaf).path);
    });
  const ours = ownedEntryFields(live, manager) ?? {};
  const lostLeaves = leavesOf(base.fields).filter((l) => !has(ours, l.keys));
  const owners = new Set<string>();
  for (const l of lostLeaves)
    for (const mf of live.metadata.managedFields ?? [])
      if (mf.manager && mf.manager !== manager && has((mf.fieldsV1 ?? {}) as FieldsV1, l.keys)) owners.add(mf.manager);
  return { changed, lost: lostLeaves.map((l) => l.path), owners: [...owners].sort() };
}

export function hasDrifted(d: Drift): boolean {
  return d.changed.length > 0 || d.lost.length > 0;
}

function has(fields: FieldsV1, keys: readonly string[]): boolean {
  let cur: FieldsV1 | undefined = fields;
  for (const k of keys) {
    cur = cur[k];
    if (!cur) return false;
  }
  return true;
}

/** Each leaf's value as text; absent is not "null". */
function valueTexts(leaves: readonly Leaf[], obj: unknown): string[] {
  return leaves.map((l) => {
    const v = valueAt(obj, l.steps);
    return v === undefined ? '\u0000absent' : stableJson(v);
  });
}

// One-shot hashes (no Hash object per value: a 20,000-object full check hashes 20,000 times).
const objectDigest = (texts: readonly string[]): Buffer => hash('sha256', SALT + texts.join('\u0001'), 'buffer');
const leafDigest = (text: string): Buffer => hash('sha256', SALT + text, 'buffer');

/** JSON with object keys sorted (key order carries no meaning in a stored object). */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const leafCache = new WeakMap<FieldsV1, Leaf[]>();

/**
 * The leaves of a field set, in a fixed order: a node with no children but `.`, or a set item
 * (`v:`). Derived from the field set alone, so the baseline's digests and a live object's line up.
 */
export function leavesOf(fields: FieldsV1): Leaf[] {
  let out = leafCache.get(fields);
  if (!out) {
    out = [];
    walk(fields, '', [], [], out);
    leafCache.set(fields, out);
  }
  return out;
}

const SIMPLE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function walk(fields: FieldsV1, path: string, keys: string[], steps: Step[], out: Leaf[]): void {
  for (const k of Object.keys(fields).sort()) {
    if (k === '.') continue;
    let step: Step;
    let seg: string;
    let isSetItem = false;
    if (k.startsWith('f:')) {
      const name = k.slice(2);
      step = { f: name };
      seg = SIMPLE.test(name) ? (path === '' ? name : `.${name}`) : `[${JSON.stringify(name)}]`;
    } else if (k.startsWith('k:')) {
      const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
      step = { k: key };
      seg = `[${Object.entries(key)
        .map(([kk, vv]) => `${kk}=${typeof vv === 'string' ? vv : JSON.stringify(vv)}`)
        .join(',')}]`;
    } else if (k.startsWith('v:')) {
      const val: unknown = JSON.parse(k.slice(2));
      step = { v: val };
      seg = `[${JSON.stringify(val)}]`;
      isSetItem = true;
    } else if (k.startsWith('i:')) {
      step = { i: Number(k.slice(2)) };
      seg = `[${k.slice(2)}]`;
    } else {
      continue; // a newer format we do not understand: skip rather than guess
    }
    const sub = fields[k] ?? {};
    const next = { path: path + seg, keys: [...keys, k], steps: [...steps, step] };
    if (isSetItem || Object.keys(sub).every((c) => c === '.')) out.push(next);
    else walk(sub, next.path, next.keys, next.steps, out);
  }
}

function valueAt(obj: unknown, steps: readonly Step[]): unknown {
  let cur: unknown = obj;
  for (const s of steps) {
    if (cur === undefined) return undefined;
    if ('f' in s) {
      cur = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as Record<string, unknown>)[s.f] : undefined;
    } else if ('k' in s) {
      cur = Array.isArray(cur)
        ? cur.find((item) =>
            Object.entries(s.k).every(([kk, vv]) => stableJson((item as Record<string, unknown>)?.[kk]) === stableJson(vv)),
          )
        : undefined;
    } else if ('v' in s) {
      const want = stableJson(s.v);
      cur = Array.isArray(cur) && cur.some((x) => stableJson(x) === want) ? s.v : undefined;
    } else {
      cur = Array.isArray(cur) ? cur[s.i] : undefined;
    }
  }
  return cur;
}
