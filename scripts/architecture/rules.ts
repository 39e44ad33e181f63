// The three rules of the layout (issue 14): no import cycle between daemon folders, product code
// never imports test code, and a folder that keeps a door (`index.ts`) is entered only through it.
import { posix } from 'node:path';
import type { ImportEdge, ImportGraph } from './import-graph.js';
import { findCycles } from './cycles.js';

export type RuleName = 'folder-cycle' | 'product-imports-test' | 'door-bypass';

/**
 * One broken rule. For `folder-cycle`, `from`/`to` are the two folders of one edge of the cycle;
 * for the others, the importing file and the imported file.
 */
export interface Violation {
  readonly rule: RuleName;
  readonly from: string;
  readonly to: string;
  readonly message: string;
}

/** Where the rules look; the repository's own layout is in scripts/check-architecture.ts. */
export interface Layout {
  /** Every folder whose imports are read (product, tests, bench, demo, scripts). */
  readonly scanDirs: readonly string[];
  /** Folders of product code; their files other than tests are product code. */
  readonly productDirs: readonly string[];
  /** The folder whose sub-folders form the layered graph that must have no cycle. */
  readonly layeredDir: string;
  /**
   * Files that code outside their folder may import although the folder has a door, each with
   * why: light leaves (types only, pure functions) whose door would load the folder's heavy
   * dependencies into a caller that must stay light (the CLI at start-up, config/).
   */
  readonly sideDoors: Readonly<Record<string, string>>;
}

export function isTestFile(file: string): boolean {
  return file.endsWith('.test.ts');
}

export function isProductFile(layout: Layout, file: string): boolean {
  return !isTestFile(file) && layout.productDirs.some((dir) => isInside(file, dir));
}

/** True when `file` lies in `dir` or below it. */
export function isInside(file: string, dir: string): boolean {
  return file.startsWith(`${dir}/`);
}

/** Says a known violation is tolerated (the allow-list); the default tolerates none. */
export type Exempt = (rule: RuleName, from: string, to: string) => boolean;

/**
 * Every violation not exempt. An exempt folder edge is left out of the folder graph before
 * cycles are looked for, so one allow-listed edge is enough to tolerate a two-folder cycle.
 */
export function checkRules(layout: Layout, graph: ImportGraph, exempt: Exempt = () => false): Violation[] {
  const fileRules = [...productImportsTest(layout, graph.edges), ...doorBypasses(layout, graph)];
  return [...folderCycles(layout, graph.edges, exempt), ...fileRules.filter((v) => !exempt(v.rule, v.from, v.to))];
}

/**
 * The node of the layered graph a file belongs to: its first sub-folder of `layeredDir`
 * (`daemon/source/signature/x.ts` → `daemon/source`), or the file itself when it sits directly
 * in `layeredDir` (`daemon/log.ts`). Undefined outside `layeredDir`.
 */
export function layerOf(layout: Layout, file: string): string | undefined {
  if (!isInside(file, layout.layeredDir)) return undefined;
  const rest = file.slice(layout.layeredDir.length + 1).split('/');
  return rest.length === 1 ? file : `${layout.layeredDir}/${rest[0]}`;
}

function folderCycles(layout: Layout, edges: readonly ImportEdge[], exempt: Exempt): Violation[] {
  // Folder edge → the file imports that make it, so a message can say where to cut.
  const folderEdges = new Map<string, Map<string, ImportEdge[]>>();
  for (const edge of edges) {
    // Tests are leaves nothing imports: a test beside daemon/git that also exercises
    // daemon/source says nothing about how the product's folders depend on each other.
    if (!isProductFile(layout, edge.from) || !isProductFile(layout, edge.to)) continue;
    const from = layerOf(layout, edge.from);
    const to = layerOf(layout, edge.to);
    if (!from || !to || from === to || exempt('folder-cycle', from, to)) continue;
    const targets = folderEdges.get(from) ?? new Map<string, ImportEdge[]>();
    folderEdges.set(from, targets);
    targets.set(to, [...(targets.get(to) ?? []), edge]);
  }
  const adjacency = new Map([...folderEdges].map(([from, targets]) => [from, [...targets.keys()]]));
  const violations: Violation[] = [];
  for (const cycle of findCycles(adjacency)) {
    const members = new Set(cycle);
    for (const from of cycle) {
      for (const [to, imports] of folderEdges.get(from) ?? []) {
        if (!members.has(to)) continue;
        const shown = imports.slice(0, 3).map((e) => `${e.from}:${e.line} → ${e.to}`);
        if (imports.length > 3) shown.push(`${imports.length - 3} more`);
        const where = shown.join(', ');
        violations.push({
          rule: 'folder-cycle',
          from,
          to,
          message: `${from} → ${to} is part of the import cycle {${cycle.join(', ')}} (${where})`,
        });
      }
    }
  }
  return violations;
}

function productImportsTest(layout: Layout, edges: readonly ImportEdge[]): Violation[] {
  const violations: Violation[] = [];
  for (const edge of edges) {
    if (!isProductFile(layout, edge.from) || isProductFile(layout, edge.to)) continue;
    // Anything that is not product code ships nowhere: tests, test/, bench/, demo/, scripts/.
    violations.push({
      rule: 'product-imports-test',
      from: edge.from,
      to: edge.to,
      message: `${edge.from}:${edge.line} is product code but imports ${edge.to} ('${edge.specifier}'), which is not`,
    });
  }
  return violations;
}

function doorBypasses(layout: Layout, graph: ImportGraph): Violation[] {
  const doors = graph.files.filter((f) => posix.basename(f) === 'index.ts').map((f) => posix.dirname(f));
  const violations: Violation[] = [];
  for (const edge of graph.edges) {
    for (const door of doors) {
      if (!isInside(edge.to, door) || isInside(edge.from, door) || edge.to === `${door}/index.ts`) continue;
      if (Object.hasOwn(layout.sideDoors, edge.to)) continue;
      violations.push({
        rule: 'door-bypass',
        from: edge.from,
        to: edge.to,
        message: `${edge.from}:${edge.line} imports ${edge.to} past the door of ${door}/ — import from '${door}/index.js'`,
      });
    }
  }
  return violations;
}
