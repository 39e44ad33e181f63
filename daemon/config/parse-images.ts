// spec.images[]: which image repositories to scan and which tag each policy picks (Flux
// ImageRepository + ImagePolicy in one entry). The spec type is the images folder's
// (daemon/images/types.ts); its validators (policy, reference, Go regexp) are called from here.

import { Obj, typeName, type Issues } from './fields.js';
import { DNS_LABEL, DNS_LABEL_HINT, filePath, readDuration, readLocalSecretRef, type ReadCtx } from './parse-refs.js';
import { PolicyError } from '../images/errors.js';
import { compileGoRegexp } from '../images/go-regexp.js';
import { compilePolicy, DEFAULT_EXCLUSION_LIST } from '../images/policy.js';
import { parseImageReference, ReferenceError } from '../images/reference.js';
import type { FilterTagsSpec, ImageCredentialsSpec, ImageSpec, PolicySpec, SortOrder } from '../images/types.js';

/** `credentials` of an image or a chart source (one reader for both). */
export function readCredentials(ctx: ReadCtx, o: Obj): ImageCredentialsSpec | undefined {
  if (o.has('dockerConfigJsonFrom')) {
    if (o.has('usernameFrom') || o.has('passwordFrom')) {
      o.issues.add(o.path, 'set either dockerConfigJsonFrom or usernameFrom/passwordFrom, not both');
      return undefined;
    }
    const ref = readLocalSecretRef(ctx, o, 'dockerConfigJsonFrom', false);
    return ref ? { dockerConfigJsonFrom: ref } : undefined;
  }
  if (!o.has('usernameFrom') || !o.has('passwordFrom')) {
    o.issues.add(o.path, 'must set dockerConfigJsonFrom, or both usernameFrom and passwordFrom');
    return undefined;
  }
  const usernameFrom = readLocalSecretRef(ctx, o, 'usernameFrom', false);
  const passwordFrom = readLocalSecretRef(ctx, o, 'passwordFrom', false);
  return usernameFrom && passwordFrom ? { usernameFrom, passwordFrom } : undefined;
}

function readOrder(o: Obj): SortOrder | undefined {
  const v = o.str('order') ?? 'asc';
  const lower = v.toLowerCase();
  if (lower === 'asc' || lower === 'desc') return lower;
  o.issues.add(o.at('order'), 'must be asc or desc');
  return undefined;
}

function readPolicy(o: Obj): PolicySpec | undefined {
  const which = o.oneOf(['semver', 'alphabetical', 'numerical'] as const);
  if (which === 'semver') {
    const s = o.obj('semver', 'SemverPolicy');
    const range = s?.str('range', { required: true });
    return range === undefined ? undefined : { semver: { range } };
  }
  if (which === 'alphabetical' || which === 'numerical') {
    const p = o.obj(which, 'OrderPolicy');
    const order = p ? readOrder(p) : undefined;
    if (!order) return undefined;
    return which === 'alphabetical' ? { alphabetical: { order } } : { numerical: { order } };
  }
  return undefined;
}

function readRegexList(o: Obj, name: string): string[] | undefined {
  const v = o.raw(name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    o.issues.add(o.at(name), `must be a list, not ${typeName(v)}`);
    return undefined;
  }
  const out: string[] = [];
  v.forEach((p, i) => {
    if (typeof p !== 'string') {
      o.issues.add(`${o.at(name)}[${i}]`, `must be a string, not ${typeName(p)}`);
      return;
    }
    try {
      compileGoRegexp(p);
      out.push(p);
    } catch (e) {
      o.issues.add(`${o.at(name)}[${i}]`, (e as Error).message);
    }
  });
  return out;
}

/**
 * `namespace`: the namespace(s) whose `<namespace>:<name>` markers the entry answers, one name or
 * a list (Kubernetes namespace names: DNS labels). Absent: an empty list.
 */
function readNamespaces(o: Obj): string[] {
  const v = o.raw('namespace');
  if (v === undefined || v === null) return [];
  const list: unknown[] = Array.isArray(v) ? v : [v];
  if (list.length === 0) o.issues.add(o.at('namespace'), 'must name at least one namespace (omit it for none)');
  const out: string[] = [];
  list.forEach((n, i) => {
    const at = Array.isArray(v) ? `${o.at('namespace')}[${i}]` : o.at('namespace');
    if (typeof n !== 'string') o.issues.add(at, `must be a namespace name (a string), not ${typeName(n)}`);
    else if (!DNS_LABEL.test(n)) o.issues.add(at, `"${n}" is not a namespace name: ${DNS_LABEL_HINT}`);
    else if (out.includes(n)) o.issues.add(at, `"${n}" is listed twice`);
    else out.push(n);
  });
  return out;
}

export function readImage(ctx: ReadCtx, path: string, value: unknown): ImageSpec | undefined {
  const o = Obj.read(ctx.issues, path, value, 'Image');
  if (!o) return undefined;
  const name = o.str('name', { required: true });
  if (name !== undefined && !DNS_LABEL.test(name)) o.issues.add(o.at('name'), DNS_LABEL_HINT);
  const namespaces = readNamespaces(o);
  const matchAnyNamespace = o.bool('matchAnyNamespace', false);
  if (matchAnyNamespace && namespaces.length > 0) {
    o.issues.add(
      o.at('matchAnyNamespace'),
      'set either namespace (the namespaces its markers may name) or matchAnyNamespace: true, not both',
    );
  }
  const image = o.str('image', { required: true });
  let ref: ImageSpec['ref'] | undefined;
  if (image !== undefined) {
    try {
      ref = parseImageReference(image);
      if (ref.tag !== undefined || ref.digest !== undefined) {
        o.issues.add(o.at('image'), 'must name a repository without a tag or digest (the policy chooses the tag)');
        ref = undefined;
      }
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      o.issues.add(o.at('image'), e.message);
    }
  }
  const c = o.obj('credentials', 'ImageCredentials');
  const credentials = c ? readCredentials(ctx, c) : undefined;
  const insecure = o.bool('insecure', false);
  const caFileRaw = o.str('caFile');
  if (caFileRaw !== undefined && insecure) o.issues.add(o.at('caFile'), 'has no effect with insecure: true (plain HTTP)');
  const exclusionList = readRegexList(o, 'exclusionList') ?? [...DEFAULT_EXCLUSION_LIST];
  const p = o.obj('policy', 'ImagePolicy', { required: true });
  const policy = p ? readPolicy(p) : undefined;
  let filterTags: FilterTagsSpec | undefined;
  const f = o.obj('filterTags', 'FilterTags');
  if (f) {
    const pattern = f.str('pattern', { required: true });
    const extractRaw = f.raw('extract');
    if (extractRaw !== undefined && extractRaw !== null && typeof extractRaw !== 'string')
      f.issues.add(f.at('extract'), `must be a string, not ${typeName(extractRaw)}`);
    const extract = typeof extractRaw === 'string' ? extractRaw : undefined;
    if (pattern !== undefined) {
      try {
        compileGoRegexp(pattern);
        filterTags = { pattern, ...(extract ? { extract } : {}) };
      } catch (e) {
        f.issues.add(f.at('pattern'), (e as Error).message);
      }
    }
  }
  if (policy && p) {
    try {
      compilePolicy(policy, undefined, []);
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      p.issues.add(p.at('semver.range'), e.message);
    }
  }
  const intervalMs = readDuration(o, 'interval', '5m');
  const timeoutMs = readDuration(o, 'timeout', '1m');
  if (name === undefined || ref === undefined || image === undefined || policy === undefined) return undefined;
  return {
    name,
    namespaces,
    matchAnyNamespace,
    image,
    ref,
    intervalMs,
    timeoutMs,
    ...(credentials ? { credentials } : {}),
    insecure,
    ...(caFileRaw !== undefined && !insecure ? { caFile: filePath(ctx, caFileRaw) } : {}),
    exclusionList,
    policy,
    ...(filterTags ? { filterTags } : {}),
    digestPinning: o.bool('digestPinning', false),
  };
}

/**
 * What a marker resolves an entry by: its name in each of its namespaces, in any namespace, or
 * without one. Two entries sharing a key would both answer the same marker.
 */
function markerKeys(spec: ImageSpec): { key: string; what: string }[] {
  if (spec.matchAnyNamespace === true) return [{ key: `*/${spec.name}`, what: `name "${spec.name}" with matchAnyNamespace` }];
  const namespaces = spec.namespaces ?? [];
  if (namespaces.length === 0) return [{ key: `/${spec.name}`, what: `name "${spec.name}"` }];
  return namespaces.map((ns) => ({ key: `${ns}/${spec.name}`, what: `name "${spec.name}" in namespace "${ns}"` }));
}

/**
 * Validate `spec.images`; problems go to `issues` with paths like `spec.images[2].policy`. Names
 * are unique per namespace (two teams may each have a policy "web"), as Kubernetes names are.
 */
export function parseImages(raw: unknown[], issues: Issues, baseDir?: string, path = 'spec.images'): ImageSpec[] {
  const ctx: ReadCtx = { issues, ...(baseDir !== undefined ? { baseDir } : {}) };
  const out: ImageSpec[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item, i) => {
    const spec = readImage(ctx, `${path}[${i}]`, item);
    if (!spec) return;
    for (const { key, what } of markerKeys(spec)) {
      const first = seen.get(key);
      if (first !== undefined) issues.add(`${path}[${i}].name`, `duplicate ${what} (also ${path}[${first}])`);
      else seen.set(key, i);
    }
    out.push(spec);
  });
  return out;
}
