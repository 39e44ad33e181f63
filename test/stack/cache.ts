// Where the stack's slow builds live: outside the repo, keyed by version (see versions.env).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './procs.js';

export const stackDir = dirname(fileURLToPath(import.meta.url));

export function cacheRoot(): string {
  return process.env.GITOPS_SEAL_CACHE ?? join(homedir(), '.cache', 'gitops-seal');
}

/** The pins of versions.env as a record. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(stackDir, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** One pin of versions.env; a missing pin is an error that names it (no silent default). */
export function pin(name: string): string {
  const v = versions()[name];
  if (!v) throw new StackError('versions', `${name} is missing from test/stack/versions.env`);
  return v;
}

/** Path of a built binary: <cache>/<component>-<version>/bin/<bin> (build/lib.sh's layout). */
export function cachedBin(component: string, version: string, bin: string): string {
  return join(cacheRoot(), `${component}-${version}`, 'bin', bin);
}
