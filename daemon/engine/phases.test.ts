import { describe, expect, it } from 'vitest';
import type { ChangeSet } from '../apply/index.js';
import { describe as describeObject, type KubeObject } from '../kube/types.js';
import { applyInPhases, phasesOf } from './phases.js';

const obj = (kind: string, name: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'a' } });

describe('applyInPhases', () => {
  const crd: KubeObject = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'w.example.com' } };
  const pre = obj('ConfigMap', 'pre');
  const main = obj('ConfigMap', 'main');
  const post = obj('ConfigMap', 'post');
  const objects = [post, main, pre, crd];

  it('is one apply of everything without phases (plain and Kustomize syncs)', () => {
    expect(phasesOf({ objects })).toEqual([objects]);
  });

  it('applies CRDs, pre hooks, the release, post hooks — one call each, in that order, changes merged', async () => {
    const phaseOf = new Map([
      [describeObject(crd), 'crds' as const],
      [describeObject(pre), 'pre' as const],
      [describeObject(post), 'post' as const],
    ]);
    const calls: string[][] = [];
    const manager = {
      apply: async (objs: readonly KubeObject[]): Promise<ChangeSet> => {
        calls.push(objs.map((o) => o.metadata.name ?? ''));
        return {
          entries: objs.map((o) => ({
            key: { group: '', version: 'v1', kind: o.kind, namespace: '', name: '' },
            subject: o.kind,
            action: 'created' as const,
          })),
        };
      },
    };
    const cs = await applyInPhases(manager, { objects, phaseOf }, true);
    expect(calls).toEqual([['w.example.com'], ['pre'], ['main'], ['post']]);
    expect(cs.entries).toHaveLength(4);
  });

  it('stops at the phase that fails: later phases are not applied', async () => {
    const phaseOf = new Map([[describeObject(pre), 'pre' as const]]);
    const calls: number[] = [];
    const manager = {
      apply: async (objs: readonly KubeObject[]): Promise<ChangeSet> => {
        calls.push(objs.length);
        throw new Error('pre hook refused');
      },
    };
    await expect(applyInPhases(manager, { objects: [pre, main], phaseOf }, true)).rejects.toThrow('pre hook refused');
    expect(calls).toEqual([1]);
  });
});
