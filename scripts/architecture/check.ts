// The architecture check as a whole: the rules over the import graph, less the allow-list of
// known violations, plus the allow-list entries that no longer match anything (they must go,
// or the list would quietly keep permitting a violation that returns).
import { buildImportGraph } from './import-graph.js';
import { checkRules, type Layout, type RuleName, type Violation } from './rules.js';

/** A tolerated violation while its fix is under way; `from`/`to` ending in '/' name a folder. */
export interface AllowEntry {
  readonly rule: RuleName;
  readonly from: string;
  readonly to: string;
  /** One line: why it is tolerated and who removes it. */
  readonly reason: string;
}

export interface CheckResult {
  readonly violations: readonly Violation[];
  readonly stale: readonly AllowEntry[];
  /** Side doors of the layout that name no scanned file (renamed or removed). */
  readonly missingSideDoors: readonly string[];
  /** How many violations the allow-list tolerated. */
  readonly allowed: number;
  readonly filesScanned: number;
}

export function matchesPath(pattern: string, path: string): boolean {
  return pattern === path || (pattern.endsWith('/') && path.startsWith(pattern));
}

function matches(entry: AllowEntry, rule: RuleName, from: string, to: string): boolean {
  return entry.rule === rule && matchesPath(entry.from, from) && matchesPath(entry.to, to);
}

export function checkArchitecture(root: string, layout: Layout, allow: readonly AllowEntry[]): CheckResult {
  const graph = buildImportGraph(root, layout.scanDirs);
  const all = checkRules(layout, graph);
  const violations = checkRules(layout, graph, (rule, from, to) => allow.some((e) => matches(e, rule, from, to)));
  const stale = allow.filter((e) => !all.some((v) => matches(e, v.rule, v.from, v.to)));
  const missingSideDoors = Object.keys(layout.sideDoors).filter((f) => !graph.files.includes(f));
  return { violations, stale, missingSideDoors, allowed: all.length - violations.length, filesScanned: graph.files.length };
}

export function passed(result: CheckResult): boolean {
  return result.violations.length + result.stale.length + result.missingSideDoors.length === 0;
}

export function formatResult(result: CheckResult, allowFile: string): string {
  const lines: string[] = [];
  for (const v of result.violations) lines.push(`✗ ${v.rule}: ${v.message}`);
  for (const e of result.stale) {
    lines.push(`✗ stale allow-list entry (matches nothing now — delete it from ${allowFile}): ${e.rule} ${e.from} → ${e.to} (${e.reason})`);
  }
  for (const f of result.missingSideDoors)
    lines.push(`✗ side door ${f} of the layout is no file any more — update scripts/architecture/layout.ts`);
  const failed = result.violations.length + result.stale.length + result.missingSideDoors.length;
  lines.push(
    failed === 0
      ? `architecture: ok (${result.filesScanned} files; ${result.allowed} known violations allow-listed in ${allowFile})`
      : `architecture: ${failed} problem(s) in ${result.filesScanned} files (${result.allowed} more allow-listed in ${allowFile})`,
  );
  return lines.join('\n');
}
