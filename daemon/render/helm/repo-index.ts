// A chart repository's index.yaml (Helm's repo.IndexFile): which versions of a chart exist, where
// each .tgz is, and the sha256 it must have. Pure functions; http-repo.ts does the fetching.

import { parse } from 'yaml';
import { compilePolicy } from '../../images/policy.js';
import { PolicyError } from '../../images/errors.js';

export interface IndexEntry {
  name: string;
  version: string;
  appVersion?: string;
  /** Absolute URL of the .tgz (relative index URLs resolved against the repository URL). */
  url: string;
  /** `sha256:<hex>`. */
  digest: string;
}

export class IndexError extends Error {
  override readonly name = 'IndexError';
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

/** `<repo>/index.yaml`, with one slash between them whatever the configured URL ends with. */
export function indexUrl(repoUrl: string): string {
  const u = new URL(repoUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/index.yaml`;
  return u.toString();
}

/** Helm's repo.ResolveReferenceURL: a relative chart URL is relative to the repository directory. */
export function resolveChartUrl(repoUrl: string, chartUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(chartUrl)) return chartUrl;
  const base = new URL(repoUrl);
  const query = base.search;
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/`;
  const out = new URL(chartUrl, base);
  out.search = query;
  return out.toString();
}

const HEX64 = /^[a-f0-9]{64}$/;

/**
 * The entry of `chart` whose version is the highest in `range` (Masterminds semantics as Helm:
 * prereleases only when the range names one; no range = the highest stable version).
 */
export function pickChartVersion(indexText: string, repoUrl: string, chart: string, range: string | undefined): IndexEntry {
  let doc: unknown;
  try {
    doc = parse(indexText, { maxAliasCount: 100 });
  } catch (e) {
    throw new IndexError(`index.yaml is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
  const entries = isMap(doc) ? doc.entries : undefined;
  if (!isMap(entries)) throw new IndexError('index.yaml has no "entries" mapping');
  const list = entries[chart];
  if (!Array.isArray(list) || list.length === 0) throw new IndexError(`chart "${chart}" is not in the repository index`, true);
  const byVersion = new Map<string, Record<string, unknown>>();
  for (const e of list) {
    if (!isMap(e) || typeof e.version !== 'string') continue;
    // The first of duplicate versions wins, as Helm's sorted index lookup.
    if (!byVersion.has(e.version)) byVersion.set(e.version, e);
  }
  let picked: string | undefined;
  try {
    picked = compilePolicy({ semver: { range: range ?? '*' } }, undefined, []).select([...byVersion.keys()])?.tag;
  } catch (e) {
    if (e instanceof PolicyError) throw new IndexError(e.message);
    throw e;
  }
  if (picked === undefined) {
    const versions = [...byVersion.keys()].slice(0, 10).join(', ');
    throw new IndexError(
      `no version of "${chart}" matches "${range ?? '*'}" (index lists ${versions}${byVersion.size > 10 ? ', …' : ''})`,
      true,
    );
  }
  const e = byVersion.get(picked) as Record<string, unknown>;
  const urls = Array.isArray(e.urls) ? e.urls.filter((u): u is string => typeof u === 'string' && u !== '') : [];
  const first = urls[0];
  if (first === undefined) throw new IndexError(`index entry ${chart} ${picked} has no URL`);
  const digest = typeof e.digest === 'string' ? e.digest.replace(/^sha256:/, '').toLowerCase() : '';
  // Helm itself downloads without checking; we refuse bytes we cannot check.
  if (!HEX64.test(digest)) throw new IndexError(`index entry ${chart} ${picked} has no sha256 digest; the chart cannot be verified`);
  let url: string;
  try {
    url = resolveChartUrl(repoUrl, first);
  } catch {
    throw new IndexError(`index entry ${chart} ${picked} has an invalid URL`);
  }
  const out: IndexEntry = { name: chart, version: picked, url, digest: `sha256:${digest}` };
  if (typeof e.appVersion === 'string') out.appVersion = e.appVersion;
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
