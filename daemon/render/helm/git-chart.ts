// A chart directory of the sync's own revision, laid out in the render's scratch dir. Only
// committed, non-secret bytes go there: a SOPS-encrypted file inside the chart is refused (helm
// would read ciphertext), unless it is one of the values files, which reach helm through a
// descriptor instead and are left out of the copy.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { isSopsEncrypted, formatFromPath } from '../../../keys/index.js';
import { writeScratchFile } from '../scratch.js';
import { HelmRenderError } from './errors.js';
import type { ChartIdentity, RevisionReader } from './types.js';

const READ_CONCURRENCY = 8;

/** A chart dir of the revision, identified (cheaply: blob ids) but not yet copied anywhere. */
export interface GitChart {
  /** Normalized repo-relative chart dir. */
  path: string;
  /** Files to copy (the values files excluded). */
  files: string[];
  identity: ChartIdentity;
}

/** `a/b/` and `./a/b` → `a/b`; the chart path is repo-relative. */
export function normalizeChartPath(p: string): string {
  const n = posix.normalize(p.replace(/^\.?\/+/, '')).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

type Fail = (reason: 'not-found' | 'chart', detail: string, subject?: string) => HelmRenderError;

function failer(sync: string, path: string): Fail {
  return (reason, detail, subject = path || '/') => new HelmRenderError({ sync, reason, subject, detail });
}

async function readAll(revision: RevisionReader, files: readonly string[]): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++] as string;
      contents.set(f, await revision.readFile(f));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return contents;
}

/** Name, version and digest of the chart at `chartPath`: Chart.yaml and the dir's blob ids. */
export async function resolveGitChart(
  sync: string,
  revision: RevisionReader,
  chartPath: string,
  exclude: ReadonlySet<string>,
): Promise<GitChart> {
  const path = normalizeChartPath(chartPath);
  const fail = failer(sync, path);
  if (path.split('/').includes('..')) throw fail('chart', 'chart path leaves the repository');
  const prefix = path === '' ? '' : `${path}/`;
  const files = (await revision.listFiles(path)).filter((f) => !exclude.has(f));
  const chartYaml = `${prefix}Chart.yaml`;
  if (!files.includes(chartYaml)) throw fail('not-found', 'no Chart.yaml in the chart directory of this revision');

  let meta: { name?: unknown; version?: unknown; appVersion?: unknown };
  try {
    meta = (parse(Buffer.from(await revision.readFile(chartYaml)).toString('utf8')) ?? {}) as typeof meta;
  } catch (e) {
    throw fail('chart', `Chart.yaml is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`, chartYaml);
  }
  if (typeof meta.name !== 'string' || meta.name === '') throw fail('chart', 'Chart.yaml has no name', chartYaml);
  // The name becomes a directory in scratch (and helm's template prefix): no paths in it.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(meta.name))
    throw fail('chart', 'Chart.yaml name must be letters, digits, ".", "_" or "-"', chartYaml);

  // Blob ids when the revision has them (nothing read); content hashes otherwise.
  const ids = revision.fileIds ? await revision.fileIds(path) : undefined;
  const contents = ids ? undefined : await readAll(revision, files);
  const hash = createHash('sha256');
  for (const f of [...files].sort()) {
    const id =
      ids?.get(f) ??
      createHash('sha256')
        .update(contents?.get(f) ?? new Uint8Array())
        .digest('hex');
    hash.update(`${f.slice(prefix.length)}\0${id}\n`);
  }
  const identity: ChartIdentity = {
    name: meta.name,
    version: typeof meta.version === 'string' ? meta.version : String(meta.version ?? ''),
    digest: `sha256:${hash.digest('hex')}`,
    source: `git:${path || '/'}`,
  };
  if (typeof meta.appVersion === 'string') identity.appVersion = meta.appVersion;
  return { path, files, identity };
}

/** Copies the chart into scratch (`chart/<name>/…`); returns the chart dir. */
export async function layOutGitChart(sync: string, revision: RevisionReader, chart: GitChart, scratch: string): Promise<string> {
  const fail = failer(sync, chart.path);
  const prefix = chart.path === '' ? '' : `${chart.path}/`;
  const contents = await readAll(revision, chart.files);
  const encrypted = chart.files.filter(
    (f) => /\.(ya?ml|json)$/i.test(f) && isSopsEncrypted(Buffer.from(contents.get(f) as Uint8Array).toString('utf8'), formatFromPath(f)),
  );
  if (encrypted.length > 0) {
    throw fail(
      'chart',
      'SOPS-encrypted file inside the chart: helm would read ciphertext; list it under valuesFiles instead (decrypted in memory)',
      encrypted.join(', '),
    );
  }
  const dir = posix.join('chart', chart.identity.name);
  for (const f of chart.files) await writeScratchFile(scratch, `${dir}/${f.slice(prefix.length)}`, contents.get(f) as Uint8Array);
  return posix.join(scratch, dir);
}
