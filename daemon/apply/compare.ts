// Equality of objects as the apiserver stores them: order-insensitive JSON, the fields every
// write changes set aside, and the test that a server-side apply would change nothing.
import type { KubeObject } from '../kube/types.js';

/** JSON with object keys sorted, for order-insensitive equality. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * The parts of a stored object that change on every write without meaning anything:
 * resourceVersion and managedFields timestamps. What remains differs only if a write
 * would change the object.
 */
export function comparable(obj: KubeObject): unknown {
  const copy = structuredClone(obj);
  delete copy.metadata.resourceVersion;
  for (const mf of copy.metadata.managedFields ?? []) delete mf.time;
  return copy;
}

/**
 * Would a server-side apply of `desired` by `manager` change nothing on `live`? True only
 * when (1) our managedFields entry (operation Apply, same apiVersion) owns exactly the
 * leaf fields `desired` sets — so the apply would release nothing and claim nothing — and
 * (2) every one of those leaves already has the same value live. Lists are compared
 * whole (atomic), so defaulted list items or normalised values (quantities, ...) make it
 * false and the request is sent: a false `false` costs one request, a false `true` would
 * miss a change, so every doubt answers false.
 */
export function isNoopApply(desired: KubeObject, live: KubeObject, manager: string): boolean {
  const entries = (live.metadata.managedFields ?? []).filter((f) => f.manager === manager && f.operation === 'Apply' && !f.subresource);
  const entry = entries[0];
  if (entries.length !== 1 || !entry?.fieldsV1 || entry.apiVersion !== desired.apiVersion) return false;
  const owned = new Set<string>();
  ownedLeaves(entry.fieldsV1 as Record<string, unknown>, '', owned);
  const leaves = new Map<string, unknown>();
  desiredLeaves(desired, '', leaves);
  for (const id of ['apiVersion', 'kind', 'metadata\u0000name', 'metadata\u0000namespace']) leaves.delete(id);
  if (leaves.size !== owned.size) return false;
  for (const [path, value] of leaves) {
    if (!owned.has(path)) return false;
    const current = valueAt(live, path);
    if (current === undefined || value === null || !deepEqual(value, current)) return false;
  }
  return true;
}

function desiredLeaves(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, child] of Object.entries(v)) desiredLeaves(child, prefix === '' ? k : `${prefix}\u0000${k}`, out);
  } else if (prefix !== '') {
    out.set(prefix, v);
  }
}

function ownedLeaves(fields: Record<string, unknown>, prefix: string, out: Set<string>): void {
  const keys = Object.keys(fields).filter((k) => k !== '.');
  // No children, or children that address list items (k:/v:/i:): the field is a leaf for us.
  if (prefix !== '' && (keys.length === 0 || keys.some((k) => !k.startsWith('f:')))) {
    out.add(prefix);
    return;
  }
  for (const k of keys) {
    const name = k.slice(2);
    ownedLeaves(fields[k] as Record<string, unknown>, prefix === '' ? name : `${prefix}\u0000${name}`, out);
  }
}

function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('\u0000')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
