// diff: what an apply would change, per object. The would-be object comes from a
// server-side dry-run apply (defaults, admission and conversions included), and only the
// fields our field manager owns — before (live) or after (dry-run) — are compared, so
// fields set by controllers or other managers (status, replicas of an HPA, ...) never show.
// Secrets: the paths name the key (`data.password`) but never a value, before or after.
import { NoMatchError, KubeApiError } from '../kube/errors.js';
import { formatKey, keyOf, type KubeObject, type ObjectKey } from '../kube/types.js';
import type { ResourceManager } from './manager.js';
import { changedFields, mergeFields, type FieldsV1 } from './fieldsv1.js';
import { withSyncLabel } from './ownership.js';
import { checkObject } from './prepare.js';
import { isSecret } from './redact.js';
import { mapLimit } from './pool.js';
import { toFailure } from './errors.js';

export const REDACTED_CHANGE = '*** (changed)';

export interface FieldChange {
  path: string;
  /** Absent when the field is new, or redacted. */
  before?: unknown;
  /** Absent when the field goes away, or redacted. */
  after?: unknown;
  /** Secret data: values withheld. */
  redacted?: boolean;
}

export interface ObjectDiff {
  key: ObjectKey;
  subject: string;
  /** create: not in the cluster; update: managed fields differ; none: apply would be a no-op; error: see `error`. */
  action: 'create' | 'update' | 'none' | 'error';
  changes: FieldChange[];
  error?: string;
}

export async function diffAll(m: ResourceManager, input: readonly KubeObject[]): Promise<ObjectDiff[]> {
  const results = await mapLimit(input, m.concurrency, (raw) => diffOne(m, raw));
  return results.map((r, i) => {
    if (r.ok) return r.value;
    const f = toFailure(input[i] as KubeObject, r.error);
    return { key: f.key, subject: f.subject, action: 'error', changes: [], error: f.message };
  });
}

async function diffOne(m: ResourceManager, raw: KubeObject): Promise<ObjectDiff> {
  checkObject(raw);
  const obj = withSyncLabel(raw, m.syncName);
  const key = keyOf(obj);
  const base = { key, subject: formatKey(key) };
  let loc;
  try {
    loc = await m.locate(obj);
  } catch (err) {
    // Kind not served yet: its CRD is part of what would be applied.
    if (err instanceof NoMatchError) return { ...base, action: 'create', changes: [] };
    throw err;
  }
  const live = await m.getLive(loc);
  if (!live) return { ...base, action: 'create', changes: [] };
  let dry: KubeObject;
  try {
    dry = (await m.serverSideApply(obj, loc, { dryRun: true, force: true })).object;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { ...base, action: 'create', changes: [] };
    throw err;
  }
  const changes = objectChanges(m.fieldManager, live, dry);
  return { ...base, action: changes.length > 0 ? 'update' : 'none', changes };
}

/** Changed managed fields between live and would-be objects, redacted for Secrets. */
export function objectChanges(manager: string, live: KubeObject, dry: KubeObject): FieldChange[] {
  const secret = isSecret(dry);
  let fields = mergeFields(managedBy(live, manager), managedBy(dry, manager));
  // stringData is write-only: the apiserver merges it into data and never stores it, so
  // our ownership of stringData.x is compared as data.x.
  if (secret && fields['f:stringData']) {
    fields = mergeFields(fields, { 'f:data': fields['f:stringData'] });
    delete fields['f:stringData'];
  }
  return changedFields(fields, live, dry).map((c): FieldChange => {
    if (secret && (c.segments[0] === 'data' || c.segments[0] === 'stringData')) {
      return { path: c.path, redacted: true };
    }
    const out: FieldChange = { path: c.path };
    if (c.before !== undefined) out.before = c.before;
    if (c.after !== undefined) out.after = c.after;
    return out;
  });
}

function managedBy(obj: KubeObject, manager: string): FieldsV1 {
  let out: FieldsV1 = {};
  for (const mf of obj.metadata.managedFields ?? []) {
    if (mf.manager === manager && mf.operation === 'Apply' && !mf.subresource && mf.fieldsV1) {
      out = mergeFields(out, mf.fieldsV1 as FieldsV1);
    }
  }
  return out;
}

/** Human-readable lines, e.g. `Secret/app/db: data.password: *** (changed)`. */
export function formatDiff(d: ObjectDiff): string[] {
  if (d.action === 'create') return [`${d.subject}: created`];
  if (d.action === 'error') return [`${d.subject}: error: ${d.error ?? ''}`];
  return d.changes.map((c) => {
    if (c.redacted) return `${d.subject}: ${c.path}: ${REDACTED_CHANGE}`;
    if (c.before === undefined) return `${d.subject}: ${c.path}: + ${JSON.stringify(c.after)}`;
    if (c.after === undefined) return `${d.subject}: ${c.path}: - ${JSON.stringify(c.before)}`;
    return `${d.subject}: ${c.path}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`;
  });
}
