// The project's import graph, file by file: every relative import of every .ts file under the
// scanned folders, resolved to the repository-relative path it names. Parsed with the
// TypeScript compiler's own pre-processor (no new dependency), so `import type`, re-exports and
// literal dynamic `import()` all count — a type-only import still ties two folders together.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** One import: `from` and `to` are repository-relative POSIX paths (`daemon/apply/manager.ts`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** The specifier as written, for messages. */
  readonly specifier: string;
  /** 1-based line of the import in `from`. */
  readonly line: number;
}

export interface ImportGraph {
  /** Every scanned .ts file, repository-relative, sorted. */
  readonly files: readonly string[];
  /** Every relative import between them (and to files outside the scan, e.g. JSON). */
  readonly edges: readonly ImportEdge[];
}

/** Fixture trees and build output are not the project's code. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'testdata', '.git']);

/** Scan `dirs` (relative to `root`) and return the graph of relative imports between files. */
export function buildImportGraph(root: string, dirs: readonly string[]): ImportGraph {
  const files = dirs.flatMap((dir) => listTsFiles(root, dir)).sort();
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) continue; // packages and node: builtins
      edges.push({ from: file, to: resolveSpecifier(file, ref.fileName), specifier: ref.fileName, line: lineOf(text, ref.pos) });
    }
  }
  return { files, edges };
}

/**
 * NodeNext resolution as this project writes it: `./x.js` names the source `./x.ts`; anything
 * else (`.json`, a directory) is kept as written so the rules can still see where it points.
 */
export function resolveSpecifier(fromFile: string, specifier: string): string {
  const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  return target.endsWith('.js') ? `${target.slice(0, -'.js'.length)}.ts` : target;
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function listTsFiles(root: string, dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const rel = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (rel.split('/').some((part) => SKIPPED_DIRS.has(part))) continue;
    out.push(rel);
  }
  return out;
}
