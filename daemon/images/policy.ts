// Tag selection with Flux image-reflector-controller semantics (internal/policy):
//   exclusionList  – tags matching any pattern are dropped first (ImageRepository; default
//                    `^.*\.sig$`, cosign signatures);
//   filterTags     – keep tags the pattern matches (unanchored); with `extract`, the policy
//                    compares the expanded template (`$ts`) and the original tag is returned;
//                    two tags extracting the same value: the later one wins (Flux's map);
//   semver         – tags that are strict semver with an optional `v` prefix; the highest one in
//                    range. Prereleases count only when the range (its `||` alternative) itself
//                    names a prerelease (Masterminds/semver's containsPre), e.g. `>=1.0.0-0`;
//   alphabetical   – asc: the last tag in byte order, desc: the first;
//   numerical      – every candidate must parse as a Go float (else the policy fails, as in
//                    Flux); asc: the largest, desc: the smallest.

import semver from 'semver';
import { PolicyError } from './errors.js';
import { compileGoRegexp, expandGoTemplate } from './go-regexp.js';
import type { FilterTagsSpec, PolicySpec, SortOrder } from './types.js';

export type { FilterTagsSpec, PolicySpec, SortOrder } from './types.js';

export const DEFAULT_EXCLUSION_LIST: readonly string[] = ['^.*\\.sig$'];

export interface Selection {
  /** The tag to deploy (the original tag when a filter extracted a value). */
  tag: string;
  /** What the policy compared: the extracted value, or the tag itself. */
  value: string;
  /** Tags the policy considered (after exclusion and filtering). */
  candidates: number;
}

export interface CompiledPolicy {
  select(tags: readonly string[]): Selection | undefined;
}

/** `>=1.0, <2` (Masterminds separates ANDs with commas) → node-semver ranges, one per `||` group. */
function compileRange(range: string): { range: semver.Range; includePrerelease: boolean }[] {
  if (range.trim() === '') throw new PolicyError('semver range is empty');
  const groups = range.split('||').map((g) => g.replace(/,/g, ' ').trim());
  return groups.map((g) => {
    if (g === '') throw new PolicyError(`semver range "${range}" has an empty alternative`);
    // A prerelease in the constraint text itself (`1.0.0-rc.1`), not one node-semver adds when it
    // desugars `1.x` to `<2.0.0-0`.
    const includePrerelease = /\d-[0-9A-Za-z]/.test(g);
    try {
      return { range: new semver.Range(g, { includePrerelease }), includePrerelease };
    } catch (e) {
      throw new PolicyError(`invalid semver range "${range}": ${(e as Error).message}`, { cause: e });
    }
  });
}

/** Strict semver with an optional leading `v` (fluxcd/pkg/version.ParseVersion). */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  if (!/^v?\d/.test(tag) || /\s/.test(tag)) return undefined;
  return semver.parse(tag) ?? undefined;
}

const GO_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const GO_HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;

/**
 * A tag read as a number by the numerical policy: Go's strconv.ParseFloat(s, 64) for the forms
 * tags use, undefined where Go returns an error. (keys/ has its own parseGoFloat for the forms
 * sops writes, which also drops underscores.)
 */
export function parseTagFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  let v: number;
  if (GO_DECIMAL.test(s)) v = Number(s);
  else {
    const h = GO_HEX.exec(s);
    if (!h || (h[2] === '' && (h[3] ?? '') === '')) return undefined;
    const frac = h[3] ?? '';
    const mant = parseInt(`${h[2] || '0'}${frac}`, 16);
    v = mant * 2 ** (Number(h[4]) - 4 * frac.length);
    if (h[1] === '-') v = -v;
  }
  // Go reports overflow to ±Inf as ErrRange.
  return Number.isFinite(v) ? v : undefined;
}

function semverPicker(range: string): (values: string[]) => string | undefined {
  const groups = compileRange(range);
  return (values) => {
    let best: semver.SemVer | undefined;
    let bestValue: string | undefined;
    for (const value of values) {
      const v = parseTagVersion(value);
      if (!v) continue;
      if (!groups.some((g) => g.range.test(v))) continue;
      // Strictly greater: of equal versions (`1.0.0`, `v1.0.0`, `1.0.0+b`) the first stays.
      if (best === undefined || semver.compare(v, best) > 0) {
        best = v;
        bestValue = value;
      }
    }
    return bestValue;
  };
}

function alphabeticalPicker(order: SortOrder): (values: string[]) => string | undefined {
  return (values) => {
    let best: string | undefined;
    for (const v of values) {
      // Byte order as Go's sort.Strings; tags are ASCII, so UTF-16 order is the same.
      if (best === undefined || (order === 'asc' ? v > best : v < best)) best = v;
    }
    return best;
  };
}

function numericalPicker(order: SortOrder): (values: string[]) => string | undefined {
  return (values) => {
    let best: string | undefined;
    let bestNum = 0;
    values.forEach((value, i) => {
      const n = parseTagFloat(value);
      if (n === undefined) throw new PolicyError(`numerical policy: tag value "${value}" is not a number`);
      // Flux's loop: a later equal value replaces the earlier one.
      if (i > 0 && ((order === 'asc' && n < bestNum) || (order === 'desc' && n > bestNum))) return;
      best = value;
      bestNum = n;
    });
    return best;
  };
}

/** Validate and compile a policy once; throws PolicyError for an invalid range or regex. */
export function compilePolicy(
  policy: PolicySpec,
  filterTags?: FilterTagsSpec,
  exclusionList: readonly string[] = DEFAULT_EXCLUSION_LIST,
): CompiledPolicy {
  const pick =
    'semver' in policy
      ? semverPicker(policy.semver.range)
      : 'alphabetical' in policy
        ? alphabeticalPicker(policy.alphabetical.order)
        : numericalPicker(policy.numerical.order);
  const exclusions = exclusionList.map((p) => compileGoRegexp(p));
  const filter = filterTags ? compileGoRegexp(filterTags.pattern) : undefined;
  const extract = filterTags?.extract ?? '';
  return {
    select(tags) {
      const kept = tags.filter((t) => !exclusions.some((re) => re.test(t)));
      // extracted value → original tag; Map keeps first-insertion order, value is the last writer.
      const byValue = new Map<string, string>();
      if (filter) {
        for (const tag of kept) {
          const m = filter.exec(tag);
          if (!m) continue;
          byValue.set(extract === '' ? tag : expandGoTemplate(extract, m), tag);
        }
      } else {
        for (const tag of kept) byValue.set(tag, tag);
      }
      const values = [...byValue.keys()];
      if (values.length === 0) return undefined;
      const value = pick(values);
      if (value === undefined) return undefined;
      return { tag: byValue.get(value) ?? value, value, candidates: values.length };
    },
  };
}

/** One-shot form of compilePolicy(...).select(tags). */
export function selectTag(
  tags: readonly string[],
  policy: PolicySpec,
  filterTags?: FilterTagsSpec,
  exclusionList: readonly string[] = DEFAULT_EXCLUSION_LIST,
): Selection | undefined {
  return compilePolicy(policy, filterTags, exclusionList).select(tags);
}
