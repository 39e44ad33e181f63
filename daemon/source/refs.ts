// Choosing the remote ref a source follows from the server's ref advertisement. Pure functions,
// so the selection rules (semver ordering, tag peeling) are unit-tested without a server.
import semver from 'semver';
import type { AdvertisedRef } from '../git/index.js';
import type { GitRefSpec } from './types.js';

export type { AdvertisedRef };

export interface PickedRef {
  /** Full ref name. */
  ref: string;
  /** Oid the ref points at (a tag object for annotated tags). */
  oid: string;
  /** The commit, when the advertisement tells it (peeled tag or plain ref). */
  commit: string;
}

export type PickResult =
  { ok: true; picked: PickedRef } | { ok: false; reason: 'ref-not-found' | 'no-semver-match' | 'invalid-spec'; detail: string };

const SHA_RE = /^[0-9a-f]{40}$/;

export function describeRef(spec: GitRefSpec): string {
  if ('branch' in spec) return `branch ${spec.branch}`;
  if ('tag' in spec) return `tag ${spec.tag}`;
  if ('semver' in spec) return `semver ${spec.semver}`;
  return `commit ${spec.commit}`;
}

/** Problems in the ref spec itself, reported before any network traffic. */
export function validateRefSpec(spec: GitRefSpec): string | undefined {
  const keys = Object.keys(spec);
  if (keys.length !== 1) return `ref must have exactly one of branch, tag, semver, commit (got ${keys.join(', ') || 'none'})`;
  if ('branch' in spec) return checkRefName(spec.branch, 'branch');
  if ('tag' in spec) return checkRefName(spec.tag, 'tag');
  if ('semver' in spec) {
    return semver.validRange(spec.semver) === null ? `"${spec.semver}" is not a valid semver range` : undefined;
  }
  return SHA_RE.test(spec.commit) ? undefined : `commit must be a full 40-hex sha (got "${spec.commit}")`;
}

function checkRefName(name: string, kind: string): string | undefined {
  // The subset of git-check-ref-format rules that matters for names we put on the wire.
  if (
    name === '' ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    /[\x00-\x20~^:?*[\\\x7f]/.test(name)
  ) {
    return `invalid ${kind} name "${name}"`;
  }
  return undefined;
}

/** The ref prefix worth asking the server about (narrows protocol-v2 ls-refs; filters v1). */
export function refPrefix(spec: GitRefSpec): string | undefined {
  if ('branch' in spec) return `refs/heads/${spec.branch}`;
  if ('tag' in spec) return `refs/tags/${spec.tag}`;
  if ('semver' in spec) return 'refs/tags/';
  return undefined;
}

/** A tag name as a semver version: `v1.2.3` and `1.2.3` are both accepted; anything else is not a version. */
export function tagVersion(tag: string): semver.SemVer | null {
  const bare = tag.startsWith('v') || tag.startsWith('V') ? tag.slice(1) : tag;
  // Strict parsing: `1.2` or `release-1` are not versions and must not win a range by accident.
  return semver.parse(bare, { loose: false });
}

/**
 * Highest tag satisfying `range`. Prereleases take part only when the range itself names a
 * prerelease on the same major.minor.patch (node-semver's default, which is what users expect
 * from `>=1.0.0-rc.1`). Ties (`v1.0.0` and `1.0.0`) go to the lexically first ref name.
 */
export function pickSemverTag(range: string, refs: readonly AdvertisedRef[]): AdvertisedRef | undefined {
  let best: { ref: AdvertisedRef; v: semver.SemVer } | undefined;
  for (const r of refs) {
    if (!r.ref.startsWith('refs/tags/') || r.ref.endsWith('^{}')) continue;
    const v = tagVersion(r.ref.slice('refs/tags/'.length));
    if (v === null || !semver.satisfies(v, range)) continue;
    if (best === undefined) {
      best = { ref: r, v };
      continue;
    }
    const c = semver.compare(v, best.v);
    if (c > 0 || (c === 0 && r.ref < best.ref.ref)) best = { ref: r, v };
  }
  return best?.ref;
}

/** Select the ref for `spec` from the advertisement. Commit pins are not resolved here. */
export function pickRef(spec: GitRefSpec, refs: readonly AdvertisedRef[]): PickResult {
  const invalid = validateRefSpec(spec);
  if (invalid !== undefined) return { ok: false, reason: 'invalid-spec', detail: invalid };
  const toPicked = (r: AdvertisedRef): PickedRef => ({ ref: r.ref, oid: r.oid, commit: r.peeled ?? r.oid });
  if ('branch' in spec || 'tag' in spec) {
    const want = refPrefix(spec);
    const hit = refs.find((r) => r.ref === want);
    if (hit === undefined) {
      const kind = 'branch' in spec ? 'branch' : 'tag';
      return { ok: false, reason: 'ref-not-found', detail: `${kind} ${want} not found on the remote` };
    }
    return { ok: true, picked: toPicked(hit) };
  }
  if ('semver' in spec) {
    const hit = pickSemverTag(spec.semver, refs);
    if (hit === undefined) {
      const tags = refs.filter((r) => r.ref.startsWith('refs/tags/')).length;
      return { ok: false, reason: 'no-semver-match', detail: `no tag among ${tags} matches semver range "${spec.semver}"` };
    }
    return { ok: true, picked: toPicked(hit) };
  }
  return { ok: false, reason: 'invalid-spec', detail: 'commit pins are not resolved from the ref advertisement' };
}
