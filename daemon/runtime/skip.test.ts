import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../engine/index.js';
import type { KubeObject } from '../kube/types.js';
import { memoryRevision } from '../../test/support/memory-revision.js';
import { sameObjects, unchangedPlainTree } from './skip.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const cm = (name: string, v: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'a' }, data: { v } }) as KubeObject;
const state = (objects: KubeObject[]): DesiredState => ({ revision: C1, objects, decryptedFiles: [], warnings: [] });

describe('unchangedPlainTree (rule 1)', () => {
  const files = { 'a/x.yaml': 'x', 'b/y.yaml': 'y' };
  const before = memoryRevision(files, C1);

  it('is unchanged for a new commit that changed only another path', async () => {
    const tree = (await before.treeId?.('a')) ?? null;
    const after = memoryRevision({ ...files, 'b/y.yaml': 'y2' }, C2);
    const r = await unchangedPlainTree({ revision: C1, failedSince: false, plainTree: tree }, state([]), after, 'a');
    expect(r).toEqual({ unchanged: true, id: tree });
  });

  it('is changed when a file under the path changed, was added or removed', async () => {
    const tree = (await before.treeId?.('a')) ?? null;
    const applied = { revision: C1, failedSince: false, plainTree: tree };
    for (const next of [{ ...files, 'a/x.yaml': 'x2' }, { ...files, 'a/z.yaml': 'z' }, { 'b/y.yaml': 'y' }])
      expect((await unchangedPlainTree(applied, state([]), memoryRevision(next, C2), 'a')).unchanged).toBe(false);
  });

  it('goes the whole way after a failed attempt, for the same commit again, for a rendered sync, or before any apply', async () => {
    const tree = (await before.treeId?.('a')) ?? null;
    const after = memoryRevision(files, C2);
    expect((await unchangedPlainTree({ revision: C1, failedSince: true, plainTree: tree }, state([]), after, 'a')).unchanged).toBe(false);
    expect((await unchangedPlainTree({ revision: C1, failedSince: false, plainTree: tree }, state([]), before, 'a')).unchanged).toBe(false);
    expect((await unchangedPlainTree({ revision: C1, failedSince: false, plainTree: null }, state([]), after, 'a')).unchanged).toBe(false);
    expect((await unchangedPlainTree(undefined, undefined, after, 'a')).unchanged).toBe(false);
  });

  it('is never unchanged for a source without tree ids', async () => {
    const { treeId: _, ...noTrees } = memoryRevision(files, C2);
    expect(await unchangedPlainTree({ revision: C1, failedSince: false, plainTree: 'x' }, state([]), noTrees, 'a')).toEqual({
      unchanged: false,
    });
  });
});

describe('sameObjects (rule 2)', () => {
  it('is true only for the same objects with the same content', () => {
    const prev = state([cm('a', '1'), cm('b', '1')]);
    expect(sameObjects({ objects: [cm('a', '1'), cm('b', '1')] }, prev)).toBe(true);
    expect(sameObjects({ objects: [cm('a', '1'), cm('b', '2')] }, prev)).toBe(false);
    expect(sameObjects({ objects: [cm('a', '1')] }, prev)).toBe(false);
    expect(sameObjects({ objects: [cm('a', '1'), cm('b', '1'), cm('c', '1')] }, prev)).toBe(false);
    expect(sameObjects({ objects: [cm('a', '1'), cm('c', '1')] }, prev)).toBe(false);
  });
});
