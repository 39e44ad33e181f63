// applyPolicies: the latest image of each policy written into every marked scalar of a set of
// files. Pure (text in, text out); push.ts feeds it the files of a commit.
import { applyEdits, type ScalarEdit } from './edit.js';
import { YamlEditError } from './errors.js';
import { findMarkers, isCandidate, type FoundMarker, type MarkerRef } from './markers.js';
import { resolvePolicy, type ImagePolicyEntry, type PolicyValue } from './policies.js';

export type { ImagePolicyEntry, PolicyValue } from './policies.js';

export interface Change {
  /** The "$imagepolicy" string of the marker. */
  marker: string;
  old: string;
  new: string;
  line: number;
  /** The policy's image repository (for commit messages). */
  image: string;
  /** The spec.images[] entry that answered the marker: its name and namespaces (the web page's last bump per policy). */
  policy: { name: string; namespaces: readonly string[] };
  /** Tag before and after, when the marker covers the tag (full ref or `:tag`). */
  oldTag?: string;
  newTag?: string;
}

export interface ChangedFile {
  path: string;
  text: string;
  changes: Change[];
}

/** A marker reported and left alone: it names no known policy, is malformed or sits on no settable scalar. */
export interface SkippedMarker {
  file: string;
  line: number;
  marker: string;
  why: string;
}

export interface ApplyResult {
  changed: ChangedFile[];
  /** Files that do not parse, or whose edit did not read back: reported and left alone. */
  errors: YamlEditError[];
  /** Markers that name no known policy, are malformed or sit on no settable scalar. */
  skipped: SkippedMarker[];
  /** Markers found in all files (changed or not). */
  markers: number;
}

/** The value Flux's setter of this kind writes, or undefined when the policy lacks it. */
export function desiredValue(ref: MarkerRef, p: PolicyValue): string | undefined {
  switch (ref.field) {
    case 'image':
      return `${p.image}:${p.tag}${p.digest !== undefined ? `@${p.digest}` : ''}`;
    case 'tag':
      return p.tag;
    case 'name':
      return p.image;
    case 'digest':
      return p.digest;
  }
}

/** `reg:5000/a/b:1.2@sha256:..` → `1.2`; undefined when the reference has no tag. */
export function tagOf(ref: string): string | undefined {
  const noDigest = ref.split('@')[0] ?? '';
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(colon + 1) : undefined;
}

function tags(m: FoundMarker, next: string): Pick<Change, 'oldTag' | 'newTag'> {
  if (m.ref.field === 'tag') return { oldTag: m.value, newTag: next };
  if (m.ref.field !== 'image') return {};
  const oldTag = tagOf(m.value);
  const newTag = tagOf(next);
  return { ...(oldTag !== undefined ? { oldTag } : {}), ...(newTag !== undefined ? { newTag } : {}) };
}

function applyToFile(path: string, text: string, policies: readonly ImagePolicyEntry[], out: ApplyResult): void {
  const scan = findMarkers(path, text);
  out.markers += scan.markers.length;
  for (const s of scan.skipped) out.skipped.push({ file: path, line: s.line, marker: s.raw, why: s.why });
  const edits: ScalarEdit[] = [];
  const changes: Change[] = [];
  const expected: string[] = [];
  for (const m of scan.markers) {
    const found = resolvePolicy(policies, m.ref);
    const policy = 'skip' in found ? undefined : found.value;
    const next = policy === undefined ? undefined : desiredValue(m.ref, policy);
    if ('skip' in found || next === undefined) {
      const why = 'skip' in found ? found.skip : `policy "${m.ref.policy}" has no digest`;
      out.skipped.push({ file: path, line: m.line, marker: m.ref.raw, why });
    }
    if (next === undefined || next === m.value) {
      expected.push(m.value);
      continue;
    }
    expected.push(next);
    edits.push({ start: m.start, end: m.end, style: m.style, flow: m.flow, value: next, line: m.line, col: m.col });
    const entry = 'skip' in found ? undefined : found.entry;
    changes.push({
      marker: m.ref.raw,
      old: m.value,
      new: next,
      line: m.line,
      image: (policy as PolicyValue).image,
      policy: { name: entry?.name ?? m.ref.policy, namespaces: [...(entry?.namespaces ?? [])] },
      ...tags(m, next),
    });
  }
  if (edits.length === 0) return;
  const edited = applyEdits(path, text, edits);
  // Read the result back: every marker must still be there, holding exactly the intended value.
  const after = findMarkers(path, edited).markers;
  const bad = after.length !== scan.markers.length ? scan.markers[0] : scan.markers.find((m, i) => after[i]?.value !== expected[i]);
  if (bad !== undefined) {
    throw new YamlEditError(path, bad.line, bad.col, `edit did not read back as intended (marker ${bad.ref.raw}); file left unchanged`);
  }
  out.changed.push({ path, text: edited, changes });
}

/**
 * Apply the current values of `policies` to every candidate file; which entry answers a marker is
 * policies.ts's rule. Files without markers are ignored; a file that does not parse is reported
 * in `errors` and the others are still updated.
 */
export function applyPolicies(files: readonly { path: string; text: string }[], policies: readonly ImagePolicyEntry[]): ApplyResult {
  const out: ApplyResult = { changed: [], errors: [], skipped: [], markers: 0 };
  for (const f of files) {
    if (!isCandidate(f.path, f.text)) continue;
    try {
      applyToFile(f.path, f.text, policies, out);
    } catch (err) {
      if (err instanceof YamlEditError) out.errors.push(err);
      else throw err;
    }
  }
  return out;
}
