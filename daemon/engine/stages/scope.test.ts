import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { CORE_KINDS, kindScopes } from '../../../test/support/kind-scopes.js';
import { RevisionError } from '../errors.js';
import { applyNamespaceRules, scope } from './scope.js';

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, namespace?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

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

  it("refuses every cluster-scoped object, the allowed namespace's own Namespace object included", () => {
    const objs = [ns('a'), ns('b')];
    const r = applyNamespaceRules(objs, new Map(objs.map((o) => [o, false])), rules);
    expect(r.problems).toEqual([
      'Namespace/a: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces',
      'Namespace/b: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces',
    ]);
  });

  it('an unrestricted sync may declare Namespaces; targetNamespace moves only namespaced objects', () => {
    const objs = [ns('a'), cm('x', 'b')];
    const r = applyNamespaceRules(
      objs,
      new Map([
        [objs[0] as KubeObject, false],
        [objs[1] as KubeObject, true],
      ]),
      { targetNamespace: 't' },
    );
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o) => o.metadata.namespace)).toEqual([undefined, 't']);
  });
});

describe('scope stage', () => {
  const at = { sync: 'apps', commit: 'abcdef0123456789' };
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget' } },
  } as KubeObject;
  const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
  const unknown: KubeObject = { apiVersion: 'other.io/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'x' } };

  it("moves namespaced objects (kinds of the same revision's CRDs too) into targetNamespace and reports each scope", async () => {
    const objs = [ns('a'), cm('x', 'b'), crd, widget, unknown];
    const out = await scope(
      objs,
      kindScopes({ ...CORE_KINDS, 'apiextensions.k8s.io/v1/CustomResourceDefinition': false }),
      { targetNamespace: 't' },
      at,
    );
    expect(out.objects.map((o) => o.metadata.namespace)).toEqual([undefined, 't', undefined, 't', 'x']);
    expect(out.objects.map((o) => out.namespaced.get(o))).toEqual([false, true, false, true, undefined]);
    expect(objs[1]?.metadata.namespace).toBe('b'); // the input is not mutated
  });

  it('refuses at `tenancy` with every object outside allowedNamespaces', async () => {
    const err = await scope([cm('x', 'a'), cm('y', 'b'), ns('a')], kindScopes(CORE_KINDS), { allowedNamespaces: ['a'] }, at).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RevisionError);
    expect((err as RevisionError).stage).toBe('tenancy');
    expect((err as RevisionError).problems).toEqual([
      'ConfigMap/b/y: namespace "b" is not in allowedNamespaces [a]',
      'Namespace/a: cluster-scoped objects are not allowed in a sync restricted to allowedNamespaces',
    ]);
  });
});
