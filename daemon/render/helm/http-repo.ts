// Charts from an HTTP(S) chart repository: fetch index.yaml, pick the version, fetch the .tgz and
// check it against the index's sha256 before helm ever sees it. Verified archives are cached by
// digest, so an unchanged version costs one index request per render.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { credentialsProvider, CredentialsError } from '../../images/credentials.js';
import type { ChartCache } from './chart-cache.js';
import { HelmRenderError } from './errors.js';
import { httpGet, HttpGetError, redact, type HttpGetOptions } from './http-get.js';
import { IndexError, indexUrl, pickChartVersion } from './repo-index.js';
import type { ChartIdentity, HttpChartSource } from './types.js';

export interface FetchedChart {
  archive: Buffer;
  identity: ChartIdentity;
}

const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_CHART_BYTES = 32 * 1024 * 1024;

export interface FetchContext {
  sync: string;
  env: NodeJS.ProcessEnv;
  cache: ChartCache;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function fetchHttpChart(src: HttpChartSource, ctx: FetchContext): Promise<FetchedChart> {
  const subject = `${src.chart} from ${redact(src.url)}`;
  const fail = (reason: 'config' | 'fetch' | 'not-found' | 'digest', detail: string, cause?: unknown): HelmRenderError =>
    new HelmRenderError({ sync: ctx.sync, reason, subject, detail, cause });
  let repo: URL;
  try {
    repo = new URL(src.url);
  } catch {
    throw fail('config', 'repository URL is not a URL');
  }
  if (repo.protocol !== 'https:' && repo.protocol !== 'http:')
    throw fail('config', `repository URL scheme ${repo.protocol} is not http(s)`);
  if (repo.username || repo.password) throw fail('config', 'repository URL must not carry credentials; use credentials references');

  const get: HttpGetOptions = { maxBodyBytes: MAX_INDEX_BYTES, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  try {
    if (src.caFile !== undefined) get.ca = await readFile(src.caFile);
    const creds = await credentialsProvider(src.credentials, repo.host, ctx.env)();
    if (creds) get.auth = { origin: repo.origin, credentials: creds };
  } catch (e) {
    if (e instanceof CredentialsError) throw fail('config', e.message, e);
    throw fail('config', `cannot read caFile ${src.caFile ?? ''}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, e);
  }

  let entry;
  try {
    const index = await httpGet(indexUrl(src.url), get);
    entry = pickChartVersion(index.toString('utf8'), src.url, src.chart, src.version);
  } catch (e) {
    if (e instanceof IndexError) throw fail(e.notFound ? 'not-found' : 'fetch', e.message, e);
    if (e instanceof HttpGetError) throw fail(e.status === 404 ? 'not-found' : 'fetch', e.message, e);
    throw e;
  }
  const identity: ChartIdentity = { name: entry.name, version: entry.version, digest: entry.digest, source: redact(entry.url) };
  if (entry.appVersion !== undefined) identity.appVersion = entry.appVersion;
  const cached = ctx.cache.get(entry.digest);
  if (cached) return { archive: cached.archive, identity };

  let archive: Buffer;
  try {
    archive = await httpGet(entry.url, { ...get, maxBodyBytes: MAX_CHART_BYTES });
  } catch (e) {
    if (e instanceof HttpGetError) throw fail(e.status === 404 ? 'not-found' : 'fetch', `${entry.version}: ${e.message}`, e);
    throw e;
  }
  const actual = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  if (actual !== entry.digest)
    throw fail('digest', `${entry.version}: downloaded archive has digest ${actual}, the index says ${entry.digest}`);
  ctx.cache.set(entry.digest, {
    archive,
    name: entry.name,
    version: entry.version,
    ...(entry.appVersion !== undefined ? { appVersion: entry.appVersion } : {}),
  });
  return { archive, identity };
}
