import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { KubeObject } from '../kube/types.js';
import { sortIntoStages, stageOf, STAGES } from './sort.js';

const o = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe('stageOf', () => {
  it('puts CRDs, then Namespaces, then cluster-scoped, then namespaced', () => {
    expect(stageOf(o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'x'), false)).toBe('crds');
    expect(stageOf(o('v1', 'Namespace', 'x'), false)).toBe('namespaces');
    expect(stageOf(o('rbac.authorization.k8s.io/v1', 'ClusterRole', 'x'), false)).toBe('cluster');
    expect(stageOf(o('v1', 'ConfigMap', 'x', 'n'), true)).toBe('namespaced');
  });
  it('does not take a look-alike kind from another group for a CRD or Namespace', () => {
    expect(stageOf(o('example.com/v1', 'CustomResourceDefinition', 'x'), true)).toBe('namespaced');
    expect(stageOf(o('example.com/v1', 'Namespace', 'x'), false)).toBe('cluster');
  });
});

describe('sortIntoStages', () => {
  it('orders stages and kinds deterministically', () => {
    const objs = [
      o('apps/v1', 'Deployment', 'web', 'app'),
      o('v1', 'ConfigMap', 'cfg', 'app'),
      o('example.com/v1', 'Widget', 'w', 'app'),
      o('v1', 'Namespace', 'app'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      o('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'),
      o('v1', 'Secret', 'sec', 'app'),
    ];
    const namespaced = (x: KubeObject) => x.metadata.namespace !== undefined;
    const stages = sortIntoStages(objs, namespaced);
    expect(stages.map((s) => s.stage)).toEqual(['crds', 'namespaces', 'cluster', 'namespaced']);
    expect(stages[3]?.objects.map((x) => x.kind)).toEqual(['Secret', 'ConfigMap', 'Deployment', 'Widget']);
  });
  it('keeps every object exactly once, stages in order, whatever the input order', () => {
    const kinds = [
      ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
      ['v1', 'Namespace'],
      ['v1', 'ConfigMap'],
      ['apps/v1', 'Deployment'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
      ['example.com/v1', 'Widget'],
    ] as const;
    const arb = fc.array(
      fc.record({ k: fc.integer({ min: 0, max: kinds.length - 1 }), name: fc.stringMatching(/^[a-z]{1,6}$/), ns: fc.boolean() }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, (items) => {
        const objs = items.map((i) => o(kinds[i.k]![0], kinds[i.k]![1], i.name, i.ns ? 'n' : undefined));
        const stages = sortIntoStages(objs, (x) => x.metadata.namespace !== undefined);
        const flat = stages.flatMap((s) => s.objects);
        expect(flat).toHaveLength(objs.length);
        expect(new Set(flat)).toEqual(new Set(objs));
        const idx = stages.map((s) => STAGES.indexOf(s.stage));
        expect([...idx].sort((a, b) => a - b)).toEqual(idx);
        const shuffled = sortIntoStages([...objs].reverse(), (x) => x.metadata.namespace !== undefined);
        expect(shuffled.flatMap((s) => s.objects.map((x) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name}`))).toEqual(
          flat.map((x) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name}`),
        );
      }),
      { seed: 7 },
    );
  });
});
