// spec.syncs[].render (renderer limits, kustomize's remote allow-list) and spec.syncs[].helm (a
// Helm release instead of a path). The spec types are the render folder's (render/types.ts,
// render/helm/types.ts); the allow-list check is render/remote.ts's pure validator.

import { compilePolicy } from '../images/policy.js';
import { PolicyError } from '../images/errors.js';
import { allowListEntryProblem } from '../render/remote.js';
import type { ChartSource, HelmReleaseSpec } from '../render/helm/types.js';
import type { RenderSpec } from '../render/types.js';
import { isMapping, Obj, typeName } from './fields.js';
import { readCredentials } from './parse-images.js';
import { DNS_LABEL, DNS_LABEL_HINT, filePath, normalizeRepoPath, readDuration, type ReadCtx } from './parse-refs.js';

/** render/kustomize.ts's defaults (2m, 64 MiB), repeated here so config does not load the renderer. */
const DEFAULT_TIMEOUT = '2m';
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Helm refuses longer release names (its Secret/ConfigMap names add a suffix). */
const MAX_RELEASE_NAME = 53;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function readRender(o: Obj): RenderSpec {
  const allowRemoteHosts: string[] = [];
  const k = o.obj('kustomize', 'KustomizeRender');
  const hosts = k?.list('allowRemoteHosts');
  hosts?.forEach((h, i) => {
    const at = `${k?.at('allowRemoteHosts') ?? ''}[${i}]`;
    if (typeof h !== 'string') return o.issues.add(at, `must be a host name (a string), not ${typeName(h)}`);
    const problem = allowListEntryProblem(h);
    if (problem) o.issues.add(at, problem);
    else allowRemoteHosts.push(h.toLowerCase());
  });
  return {
    timeoutMs: readDuration(o, 'timeout', DEFAULT_TIMEOUT),
    maxOutputBytes: o.num('maxOutputBytes', DEFAULT_MAX_OUTPUT_BYTES, 1024, 1024 * 1024 * 1024),
    kustomize: { allowRemoteHosts },
  };
}

/** A repository-relative file or directory named by `o[name]` (or the string at `at`). */
function repoPath(o: Obj, at: string, raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') {
    o.issues.add(at, `must be a repository-relative path, not ${typeof raw === 'string' ? 'empty' : typeName(raw)}`);
    return undefined;
  }
  const n = normalizeRepoPath(raw);
  if (n === undefined || n === '')
    o.issues.add(at, n === '' ? 'must name a file or directory, not the repository root' : 'must stay inside the repository');
  return n || undefined;
}

/** A semver range (Masterminds syntax, as Helm): checked now so a typo fails at start, not at render. */
function readRange(o: Obj): string | undefined {
  const range = o.str('version');
  if (range === undefined) return undefined;
  try {
    compilePolicy({ semver: { range } }, undefined, []);
    return range;
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    o.issues.add(o.at('version'), e.message);
    return undefined;
  }
}

function readHttpsChartUrl(o: Obj, scheme: 'http' | 'oci'): string | undefined {
  const v = o.str('url', { required: true });
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    o.issues.add(o.at('url'), 'is not a valid URL');
    return undefined;
  }
  if (u.username !== '' || u.password !== '') {
    o.issues.add(o.at('url'), 'must not contain credentials; use credentials.usernameFrom/passwordFrom');
    return undefined;
  }
  const ok = scheme === 'oci' ? u.protocol === 'oci:' : u.protocol === 'http:' || u.protocol === 'https:';
  if (!ok) {
    o.issues.add(o.at('url'), scheme === 'oci' ? 'must be an oci:// URL (oci://host/path/chart)' : 'must be an http(s) URL');
    return undefined;
  }
  return v;
}

function readChart(ctx: ReadCtx, o: Obj): ChartSource | undefined {
  const which = o.oneOf(['git', 'repository', 'oci'] as const);
  if (which === 'git') {
    const g = o.obj('git', 'HelmGitChart');
    const path = g ? repoPath(g, g.at('path'), g.raw('path')) : undefined;
    return path ? { git: { path } } : undefined;
  }
  const c = which ? o.obj(which, which === 'repository' ? 'HelmRepositoryChart' : 'HelmOciChart') : undefined;
  if (!c) return undefined;
  const url = readHttpsChartUrl(c, which === 'oci' ? 'oci' : 'http');
  const version = readRange(c);
  const cred = c.obj('credentials', 'ImageCredentials');
  const credentials = cred ? readCredentials(ctx, cred) : undefined;
  const caFileRaw = c.str('caFile');
  const common = {
    ...(version !== undefined ? { version } : {}),
    ...(credentials ? { credentials } : {}),
    ...(caFileRaw !== undefined ? { caFile: filePath(ctx, caFileRaw) } : {}),
  };
  if (which === 'repository') {
    const chart = c.str('chart', { required: true });
    return url && chart ? { repository: { url, chart, ...common } } : undefined;
  }
  const digest = c.str('digest', { pattern: DIGEST, patternHint: 'must be a manifest digest: sha256: and 64 lowercase hex digits' });
  const insecure = c.bool('insecure', false);
  return url ? { oci: { url, ...common, ...(digest ? { digest } : {}), ...(insecure ? { insecure } : {}) } } : undefined;
}

export function readHelm(
  ctx: ReadCtx,
  o: Obj,
  sync: { name: string; targetNamespace: string | undefined; allowedNamespaces: string[] | undefined },
): HelmReleaseSpec | undefined {
  const c = o.obj('chart', 'HelmChart', { required: true });
  const chart = c ? readChart(ctx, c) : undefined;
  const r = o.obj('release', 'HelmRelease');
  const name = r?.str('name', { pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT }) ?? sync.name;
  if (name.length > MAX_RELEASE_NAME)
    o.issues.add(r ? r.at('name') : o.at('release'), `release name "${name}" is longer than ${MAX_RELEASE_NAME} characters (Helm's limit)`);
  const namespace = r?.str('namespace', { pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT }) ?? sync.targetNamespace ?? 'default';
  if (sync.allowedNamespaces && !sync.allowedNamespaces.includes(namespace))
    o.issues.add(r?.has('namespace') ? r.at('namespace') : o.at('release'), `release namespace "${namespace}" is not in allowedNamespaces`);
  const valuesFiles: string[] = [];
  o.list('valuesFiles')?.forEach((f, i) => {
    const p = repoPath(o, `${o.at('valuesFiles')}[${i}]`, f);
    if (p) valuesFiles.push(p);
  });
  const values = o.raw('values');
  if (values !== undefined && values !== null && !isMapping(values))
    o.issues.add(o.at('values'), `must be a mapping, not ${typeName(values)}`);
  const spec: HelmReleaseSpec = {
    chart: chart ?? { git: { path: '' } },
    release: { name, namespace },
    valuesFiles,
    ...(isMapping(values) ? { values } : {}),
    includeCrds: o.bool('includeCRDs', true),
  };
  return chart ? spec : undefined;
}
