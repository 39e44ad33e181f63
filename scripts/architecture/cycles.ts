// Cycles of a directed graph as its strongly connected components (Tarjan), so one tangle of
// folders is reported once with all its members rather than as every simple cycle through it.

/** Each cycle's members, sorted; cycles sorted by their first member. Self-loops are ignored. */
export function findCycles(adjacency: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;

  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const succ of adjacency.get(node) ?? []) {
      if (!index.has(succ)) {
        visit(succ);
        low.set(node, Math.min(low.get(node)!, low.get(succ)!));
      } else if (onStack.has(succ)) {
        low.set(node, Math.min(low.get(node)!, index.get(succ)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };

  for (const node of [...adjacency.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
