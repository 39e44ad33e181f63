// File discovery for `check`: YAML/JSON files under the given paths, skipping dependency and VCS
// directories, Helm chart templates, and what `--exclude`/`.gitops-seal-ignore` name. Symlinked
// directories are not followed (loops, and files outside the repo).
import { promises as fsp } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InputError, sanitizeMessage } from './errors.js';
import type { PathFilter } from './path-filter.js';

export const CHECKED_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
export const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/** A path `check` deliberately did not look at, and why (reported, so nothing is skipped silently). */
export interface Skipped {
  path: string;
  reason: string;
}

export interface WalkOptions {
  exclude?: PathFilter;
  /** Receives what was skipped by a filter or as Helm templates. */
  skipped?: Skipped[];
}

export function isCheckedFile(path: string): boolean {
  // `Kustomization` (no extension) is a kustomization file too: check reads its secretGenerators.
  return CHECKED_EXTENSIONS.has(extname(path).toLowerCase()) || basename(path) === 'Kustomization';
}

async function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}

/**
 * Whether `abs` lies in the `templates/` directory of a Helm chart (a directory holding
 * `Chart.yaml`): Go templates are not YAML until rendered, so they are not checked.
 */
export async function inHelmTemplates(abs: string): Promise<boolean> {
  for (let dir = dirname(abs); dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'templates' && (await exists(join(dirname(dir), 'Chart.yaml')))) return true;
  }
  return false;
}

const HELM_REASON = 'Helm chart templates (not YAML until rendered; check the rendered output instead)';

/**
 * Expand paths (as the user typed them, resolved with `resolvePath`) into a sorted list of
 * display paths. Files named explicitly are kept only if they have a checked extension, so a
 * pre-commit hook can pass every staged file.
 */
export async function collectFiles(paths: string[], resolvePath: (p: string) => string, opts: WalkOptions = {}): Promise<string[]> {
  const found = new Set<string>();
  for (const p of paths) {
    let st;
    try {
      st = await fsp.stat(resolvePath(p));
    } catch (err) {
      throw new InputError(`cannot read: ${sanitizeMessage(err)}`, p);
    }
    if (st.isDirectory()) {
      if (await inHelmTemplates(join(resolvePath(p), 'x'))) opts.skipped?.push({ path: p, reason: HELM_REASON });
      else await walkDir(p, resolvePath, found, opts);
    } else if (st.isFile() && isCheckedFile(p)) {
      const reason = opts.exclude?.match(resolvePath(p), false) ?? ((await inHelmTemplates(resolvePath(p))) ? HELM_REASON : undefined);
      if (reason === undefined) found.add(p);
      else opts.skipped?.push({ path: p, reason: skipReason(reason) });
    }
  }
  return [...found].sort();
}

function skipReason(patternOrReason: string): string {
  return patternOrReason === HELM_REASON ? HELM_REASON : `excluded by '${patternOrReason}'`;
}

async function walkDir(display: string, resolvePath: (p: string) => string, found: Set<string>, opts: WalkOptions): Promise<void> {
  const abs = resolvePath(display);
  const entries = await fsp.readdir(abs, { withFileTypes: true });
  const isChart = entries.some((e) => e.isFile() && e.name === 'Chart.yaml');
  for (const e of entries) {
    const child = display === '.' ? e.name : join(display, e.name);
    const dir = e.isDirectory();
    if (dir && SKIPPED_DIRS.has(e.name)) continue;
    if (!dir && !(e.isFile() && isCheckedFile(e.name))) continue;
    const pattern = opts.exclude?.match(resolvePath(child), dir);
    const reason = pattern !== undefined ? skipReason(pattern) : dir && isChart && e.name === 'templates' ? HELM_REASON : undefined;
    if (reason !== undefined) opts.skipped?.push({ path: dir ? `${child}/` : child, reason });
    else if (dir) await walkDir(child, resolvePath, found, opts);
    else found.add(child);
  }
}
