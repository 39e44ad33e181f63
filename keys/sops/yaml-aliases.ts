// Alias expansion for the YAML store. sops' tree has no aliases: every alias becomes a copy of
// its anchor's node. Copies multiply — nine lines of nested aliases ("billion laughs") would
// expand to 10^8 nodes and hold the daemon's event loop for minutes before any MAC is checked —
// so the expansion is measured first, without copying, against the budget the daemon's manifest
// reader uses (daemon/manifests/to-json.ts; go-yaml refuses such documents too).
import { isAlias, isMap, isPair, isSeq, visit, type Alias, type Document, type Node as YNode } from 'yaml';
import { StoreError } from './store.js';

/** Nodes alias expansion may add to one document. sops-written files have no aliases at all. */
export const MAX_ALIAS_EXPANSION = 100_000;

interface Sizer {
  doc: Document;
  memo: Map<unknown, number>;
  /** Collections being measured: an alias to one of them would expand forever. */
  active: Set<unknown>;
}

/** Nodes `node` stands for once every alias below it is expanded (an alias counts its target). */
function expandedSize(node: unknown, s: Sizer): number {
  if (node === null || node === undefined) return 0;
  const known = s.memo.get(node);
  if (known !== undefined) return known;
  let size = 1;
  if (isAlias(node)) {
    const target = node.resolve(s.doc);
    if (!target) throw new StoreError(`unresolved alias *${node.source}`);
    if (s.active.has(target)) throw new StoreError(`alias *${node.source} refers to a node that contains it`);
    size = expandedSize(target, s);
  } else if (isMap(node) || isSeq(node)) {
    s.active.add(node);
    for (const item of node.items) size += isPair(item) ? expandedSize(item.key, s) + expandedSize(item.value, s) : expandedSize(item, s);
    s.active.delete(node);
  }
  s.memo.set(node, size);
  return size;
}

/** Nodes as written (an alias counts 1). */
function writtenSize(doc: Document): number {
  let n = 0;
  visit(doc, {
    Node() {
      n++;
    },
  });
  return n;
}

/** Replaces every alias with a copy of its target, as sops' tree model does, and drops anchors. */
export function expandAliases(doc: Document): void {
  let any = false;
  visit(doc, {
    Alias() {
      any = true;
      return visit.BREAK;
    },
  });
  if (!any) return;
  const added = expandedSize(doc.contents, { doc, memo: new Map(), active: new Set() }) - writtenSize(doc);
  if (added > MAX_ALIAS_EXPANSION) {
    throw new StoreError(
      `aliases would expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} further nodes (a resource exhaustion pattern); not expanded`,
    );
  }
  visit(doc, {
    Alias(_key, node: Alias) {
      const target = node.resolve(doc);
      if (!target) throw new StoreError(`unresolved alias *${node.source}`);
      return target.clone() as YNode;
    },
  });
  visit(doc, {
    Node(_key, node) {
      if ('anchor' in node) (node as { anchor?: string }).anchor = undefined;
    },
  });
}
