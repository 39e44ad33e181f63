// Which files of a source make up a sync: the manifests under the sync's path.

import { posix } from 'node:path';

const MANIFEST_EXT = /\.(ya?ml|json)$/;
const KUSTOMIZATION = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** Normalizes a sync path ("./deploy/", "deploy", ".", "") to "deploy" or "" for the repository root. */
export function normalizeRoot(root: string): string {
  const n = posix.normalize(`/${root.replace(/\\/g, '/')}`).replace(/^\/+|\/+$/g, '');
  return n === '.' ? '' : n;
}

export function isKustomizationFile(path: string): boolean {
  return KUSTOMIZATION.has(posix.basename(path));
}

/**
 * Manifest files under `root`, recursively, sorted by path (code-unit order, so the result does not
 * depend on locale). Kept: `*.yaml`, `*.yml`, `*.json`, plus kustomization files so that the reader
 * can warn that they are ignored. Skipped: anything inside a hidden directory or itself hidden
 * (`.sops.yaml`, `.github/`, `.gitlab-ci.yml`, ...), which are tool configuration, not manifests.
 */
export function selectManifestFiles(paths: readonly string[], root: string): string[] {
  const base = normalizeRoot(root);
  const prefix = base === '' ? '' : `${base}/`;
  const selected = new Set<string>();
  for (const raw of paths) {
    const p = raw.replace(/\\/g, '/').replace(/^\.\//, '');
    if (!p.startsWith(prefix)) continue;
    const rel = p.slice(prefix.length);
    if (rel.split('/').some((seg) => seg.startsWith('.'))) continue;
    if (!MANIFEST_EXT.test(p) && !isKustomizationFile(p)) continue;
    selected.add(p);
  }
  return [...selected].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
