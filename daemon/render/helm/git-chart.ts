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

export interface GitChart {
  /** Absolute path of the chart directory in scratch. */
  dir: string;
  identity: ChartIdentity;
}

/** `a/b/` and `./a/b` → `a/b`; the chart path is repo-relative. */
export function normalizeChartPath(p: string): string {
  const n = posix.normalize(p.replace(/^\.?\/+/, '')).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

export async function layOutGitChart(sync: string, revision: RevisionReader, chartPath: string, exclude: ReadonlySet<string>, scratch: string): Promise<GitChart> {
  const path = normalizeChartPath(chartPath);
  const fail = (reason: 'not-found' | 'chart', detail: string, subject = path || '/'): HelmRenderError => new HelmRenderError({ sync, reason, subject, detail });
  if (path.split('/').includes('..')) throw fail('chart', 'chart path leaves the repository');
  const prefix = path === '' ? '' : `${path}/`;
  const files = (await revision.listFiles(path)).filter((f) => !exclude.has(f));
  if (!files.includes(`${prefix}Chart.yaml`)) throw fail('not-found', 'no Chart.yaml in the chart directory of this revision');

  const contents = new Map<string, Uint8Array>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++] as string;
      contents.set(f, await revision.readFile(f));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));

  const encrypted = files.filter((f) => /\.(ya?ml|json)$/i.test(f) && isSopsEncrypted(Buffer.from(contents.get(f) as Uint8Array).toString('utf8'), formatFromPath(f)));
  if (encrypted.length > 0) {
    throw fail('chart', 'SOPS-encrypted file inside the chart: helm would read ciphertext; list it under valuesFiles instead (decrypted in memory)', encrypted.join(', '));
  }

  let meta: { name?: unknown; version?: unknown; appVersion?: unknown };
  try {
    meta = (parse(Buffer.from(contents.get(`${prefix}Chart.yaml`) as Uint8Array).toString('utf8')) ?? {}) as typeof meta;
  } catch (e) {
    throw fail('chart', `Chart.yaml is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`, `${prefix}Chart.yaml`);
  }
  if (typeof meta.name !== 'string' || meta.name === '') throw fail('chart', 'Chart.yaml has no name', `${prefix}Chart.yaml`);

  const dir = posix.join('chart', meta.name);
  const hash = createHash('sha256');
  const ids = revision.fileIds ? await revision.fileIds(path) : undefined;
  for (const f of [...files].sort()) {
    const rel = f.slice(prefix.length);
    await writeScratchFile(scratch, `${dir}/${rel}`, contents.get(f) as Uint8Array);
    // Blob ids when the revision has them (no hashing of content twice); content otherwise.
    const id = ids?.get(f) ?? createHash('sha256').update(contents.get(f) as Uint8Array).digest('hex');
    hash.update(`${rel}\0${id}\n`);
  }
  const identity: ChartIdentity = {
    name: meta.name,
    version: typeof meta.version === 'string' ? meta.version : String(meta.version ?? ''),
    digest: `sha256:${hash.digest('hex')}`,
    source: `git:${path || '/'}`,
  };
  if (typeof meta.appVersion === 'string') identity.appVersion = meta.appVersion;
  return { dir: posix.join(scratch, dir), identity };
}
