// spec.images[]: which image repositories to scan and which tag each policy picks (Flux
// ImageRepository + ImagePolicy in one entry). Reads with its own field table: the shared FIELDS
// table of fields.ts does not (yet) list these objects.

import { DurationError, MAX_DURATION_MS, parseDuration } from './duration.js';
import { didYouMean, isMapping, typeName, type Issues } from './fields.js';
import { DNS_LABEL, DNS_LABEL_HINT, filePath, type ReadCtx } from './parse-refs.js';
import type { SecretRef } from './secret-ref.js';
import type { ImageCredentialsSpec } from '../images/credentials.js';
import { PolicyError } from '../images/errors.js';
import { compileGoRegexp } from '../images/go-regexp.js';
import { compilePolicy, DEFAULT_EXCLUSION_LIST, type FilterTagsSpec, type PolicySpec, type SortOrder } from '../images/policy.js';
import { parseImageReference, ReferenceError } from '../images/reference.js';
import type { ImageSpec } from '../images/types.js';

export const IMAGE_FIELDS = {
  Image: ['name', 'namespace', 'matchAnyNamespace', 'image', 'interval', 'timeout', 'credentials', 'insecure', 'caFile', 'exclusionList', 'policy', 'filterTags', 'digestPinning'],
  ImageCredentials: ['dockerConfigJsonFrom', 'usernameFrom', 'passwordFrom'],
  ImagePolicy: ['semver', 'alphabetical', 'numerical'],
  SemverPolicy: ['range'],
  OrderPolicy: ['order'],
  FilterTags: ['pattern', 'extract'],
  SecretRef: ['env', 'file'],
} as const satisfies Record<string, readonly string[]>;
type Def = keyof typeof IMAGE_FIELDS;

const INLINE_SECRET: Record<string, string> = {
  password: 'inline secrets are not allowed: use passwordFrom: {env: NAME} or {file: PATH}',
  username: 'use usernameFrom: {env: NAME} or {file: PATH}',
  auth: 'inline secrets are not allowed: use dockerConfigJsonFrom: {env: NAME} or {file: PATH}',
  dockerConfigJson: 'inline secrets are not allowed: use dockerConfigJsonFrom: {env: NAME} or {file: PATH}',
};
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A mapping being read (the same contract as fields.ts's Obj, over IMAGE_FIELDS). */
class M {
  private constructor(
    readonly issues: Issues,
    readonly path: string,
    readonly value: Record<string, unknown>,
  ) {}
  static read(issues: Issues, path: string, value: unknown, def: Def): M | undefined {
    if (!isMapping(value)) {
      issues.add(path, `must be a mapping, not ${typeName(value)}`);
      return undefined;
    }
    const known: readonly string[] = IMAGE_FIELDS[def];
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const guess = didYouMean(key, known);
      const hint = def === 'ImageCredentials' ? INLINE_SECRET[key] : undefined;
      issues.add(`${path}.${key}`, hint ?? (guess ? `unknown field; did you mean "${guess}"?` : `unknown field; known fields: ${known.join(', ')}`));
    }
    return new M(issues, path, value);
  }
  at(name: string): string {
    return `${this.path}.${name}`;
  }
  has(name: string): boolean {
    return this.value[name] !== undefined && this.value[name] !== null;
  }
  str(name: string, required = false): string | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) {
      if (required) this.issues.add(this.at(name), 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      this.issues.add(this.at(name), typeof v === 'string' ? 'must not be empty' : `must be a string, not ${typeName(v)}`);
      return undefined;
    }
    return v;
  }
  bool(name: string, dflt: boolean): boolean {
    const v = this.value[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') {
      this.issues.add(this.at(name), `must be true or false, not ${typeName(v)}`);
      return dflt;
    }
    return v;
  }
  obj(name: string, def: Def, required = false): M | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) {
      if (required) this.issues.add(this.at(name), 'is required');
      return undefined;
    }
    return M.read(this.issues, this.at(name), v, def);
  }
  oneOf<N extends string>(names: readonly N[]): N | undefined {
    const set = names.filter((n) => this.has(n));
    if (set.length === 1) return set[0];
    this.issues.add(this.path, set.length === 0 ? `must set exactly one of ${names.join(', ')}` : `sets ${set.join(' and ')}; exactly one of ${names.join(', ')} is allowed`);
    return undefined;
  }
  duration(name: string, dflt: string): number {
    const v = this.value[name] ?? dflt;
    if (typeof v !== 'string') {
      this.issues.add(this.at(name), `must be a duration string like "30s", "5m" or "1h30m", not ${typeof v}`);
      return parseDuration(dflt);
    }
    try {
      const ms = parseDuration(v);
      if (ms > 0 && ms <= MAX_DURATION_MS) return ms;
      this.issues.add(this.at(name), ms <= 0 ? 'must be greater than zero' : 'must be at most 240h');
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      this.issues.add(this.at(name), e.message);
    }
    return parseDuration(dflt);
  }
}

function secretRef(ctx: ReadCtx, parent: M, name: string): SecretRef | undefined {
  const o = parent.obj(name, 'SecretRef');
  if (!o) return undefined;
  const which = o.oneOf(['env', 'file'] as const);
  if (which === 'env') {
    const env = o.str('env');
    if (env !== undefined && !ENV_NAME.test(env)) {
      o.issues.add(o.at('env'), 'must be an environment variable name');
      return undefined;
    }
    return env === undefined ? undefined : { env };
  }
  if (which === 'file') {
    const file = o.str('file');
    return file === undefined ? undefined : { file: filePath(ctx, file) };
  }
  return undefined;
}

function readCredentials(ctx: ReadCtx, o: M): ImageCredentialsSpec | undefined {
  if (o.has('dockerConfigJsonFrom')) {
    if (o.has('usernameFrom') || o.has('passwordFrom')) {
      o.issues.add(o.path, 'set either dockerConfigJsonFrom or usernameFrom/passwordFrom, not both');
      return undefined;
    }
    const ref = secretRef(ctx, o, 'dockerConfigJsonFrom');
    return ref ? { dockerConfigJsonFrom: ref } : undefined;
  }
  if (!o.has('usernameFrom') || !o.has('passwordFrom')) {
    o.issues.add(o.path, 'must set dockerConfigJsonFrom, or both usernameFrom and passwordFrom');
    return undefined;
  }
  const usernameFrom = secretRef(ctx, o, 'usernameFrom');
  const passwordFrom = secretRef(ctx, o, 'passwordFrom');
  return usernameFrom && passwordFrom ? { usernameFrom, passwordFrom } : undefined;
}

function readOrder(o: M): SortOrder | undefined {
  const v = o.str('order') ?? 'asc';
  const lower = v.toLowerCase();
  if (lower === 'asc' || lower === 'desc') return lower;
  o.issues.add(o.at('order'), 'must be asc or desc');
  return undefined;
}

function readPolicy(o: M): PolicySpec | undefined {
  const which = o.oneOf(['semver', 'alphabetical', 'numerical'] as const);
  if (which === 'semver') {
    const s = o.obj('semver', 'SemverPolicy');
    const range = s?.str('range', true);
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

function readRegexList(o: M, name: string): string[] | undefined {
  const v = o.value[name];
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
function readNamespaces(o: M): string[] {
  const v = o.value.namespace;
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
  const o = M.read(ctx.issues, path, value, 'Image');
  if (!o) return undefined;
  const name = o.str('name', true);
  if (name !== undefined && !DNS_LABEL.test(name)) o.issues.add(o.at('name'), DNS_LABEL_HINT);
  const namespaces = readNamespaces(o);
  const matchAnyNamespace = o.bool('matchAnyNamespace', false);
  if (matchAnyNamespace && namespaces.length > 0) {
    o.issues.add(o.at('matchAnyNamespace'), 'set either namespace (the namespaces its markers may name) or matchAnyNamespace: true, not both');
  }
  const image = o.str('image', true);
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
  const p = o.obj('policy', 'ImagePolicy', true);
  const policy = p ? readPolicy(p) : undefined;
  let filterTags: FilterTagsSpec | undefined;
  const f = o.obj('filterTags', 'FilterTags');
  if (f) {
    const pattern = f.str('pattern', true);
    const extractRaw = f.value.extract;
    if (extractRaw !== undefined && extractRaw !== null && typeof extractRaw !== 'string') f.issues.add(f.at('extract'), `must be a string, not ${typeName(extractRaw)}`);
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
  const intervalMs = o.duration('interval', '5m');
  const timeoutMs = o.duration('timeout', '1m');
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
