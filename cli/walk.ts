// File discovery for `check`: YAML/JSON files under the given paths, skipping dependency and VCS
// directories. Symlinked directories are not followed (loops, and files outside the repo).
import { promises as fsp } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError, sanitizeMessage } from './errors.js';

export const CHECKED_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
export const SKIPPED_DIRS = new Set(['node_modules', '.git']);

export function isCheckedFile(path: string): boolean {
  return CHECKED_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * Expand paths (as the user typed them, resolved with `resolvePath`) into a sorted list of
 * display paths. Files named explicitly are kept only if they have a checked extension, so a
 * pre-commit hook can pass every staged file.
 */
export async function collectFiles(paths: string[], resolvePath: (p: string) => string): Promise<string[]> {
  const found = new Set<string>();
  for (const p of paths) {
    let st;
    try {
      st = await fsp.stat(resolvePath(p));
    } catch (err) {
      throw new InputError(`cannot read: ${sanitizeMessage(err)}`, p);
    }
    if (st.isDirectory()) await walkDir(p, resolvePath, found);
    else if (st.isFile() && isCheckedFile(p)) found.add(p);
  }
  return [...found].sort();
}

async function walkDir(display: string, resolvePath: (p: string) => string, found: Set<string>): Promise<void> {
  const entries = await fsp.readdir(resolvePath(display), { withFileTypes: true });
  for (const e of entries) {
    const child = display === '.' ? e.name : join(display, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) await walkDir(child, resolvePath, found);
    } else if (e.isFile() && isCheckedFile(e.name)) {
      found.add(child);
    }
  }
}
