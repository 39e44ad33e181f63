import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { applyNamespaceRules } from './scope.js';

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, namespace?: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) } });

describe('applyNamespaceRules: allowedNamespaces', () => {
  const rules = { allowedNamespaces: ['a'] };

  it('allows namespaced objects in an allowed namespace only', () => {
    const objs = [cm('x', 'a'), cm('y', 'b'), cm('z')];
    const r = applyNamespaceRules(objs, new Map(objs.map((o) => [o, true])), rules);
    expect(r.problems).toEqual([
      'ConfigMap/b/y: namespace "b" is not in allowedNamespaces [a]',
      'ConfigMap/z: namespace "" is not in allowedNamespaces [a]',
    ]);
  });

  it('refuses every cluster-scoped object, the allowed namespace\'s own Namespace object included', () => {
    const objs = [ns('a'), ns('b')];
    const r = applyNamespaceRules(objs, new Map(objs.map((o) => [o, false])), rules);
    expect(r.problems).toEqual([
      'Namespace/a: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces',
      'Namespace/b: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces',
    ]);
  });

  it('an unrestricted sync may declare Namespaces; targetNamespace moves only namespaced objects', () => {
    const objs = [ns('a'), cm('x', 'b')];
    const r = applyNamespaceRules(objs, new Map([[objs[0] as KubeObject, false], [objs[1] as KubeObject, true]]), { targetNamespace: 't' });
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o) => o.metadata.namespace)).toEqual([undefined, 't']);
  });
});
