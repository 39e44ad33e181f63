import { describe, expect, it } from 'vitest';
import { findCycles } from './cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds nothing in a DAG and ignores self-loops', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: [], d: ['d'] }))).toEqual([]);
  });

  it('reports each tangle once with all its members', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a', 'd'], d: ['e'], e: ['d'], f: ['a'] }))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });
});
