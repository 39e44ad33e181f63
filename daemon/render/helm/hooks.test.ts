import { describe, expect, it } from 'vitest';
import type { ManifestObject } from '../../manifests/index.js';
import { classify } from './hooks.js';

function obj(kind: string, name: string, annotations?: Record<string, string>, apiVersion = 'v1'): ManifestObject {
  return {
    file: `web/templates/${name}.yaml`,
    index: 0,
    line: 1,
    encrypted: false,
    object: { apiVersion, kind, metadata: { name, ...(annotations ? { annotations } : {}) } },
  };
}
const hook = (name: string, events: string, extra: Record<string, string> = {}): ManifestObject =>
  obj('Job', name, { 'helm.sh/hook': events, ...extra }, 'batch/v1');
const names = (l: { manifest: ManifestObject }[]): string[] => l.map((h) => String((h.manifest.object.metadata as { name: string }).name));

const all = [
  obj('CustomResourceDefinition', 'widgets', undefined, 'apiextensions.k8s.io/v1'),
  obj('Service', 'web'),
  hook('migrate', 'pre-install,pre-upgrade', {
    'helm.sh/hook-weight': '5',
    'helm.sh/hook-delete-policy': 'before-hook-creation, hook-succeeded',
  }),
  hook('seed', 'pre-install', { 'helm.sh/hook-weight': '-1' }),
  hook('b-notify', 'post-install, post-upgrade'),
  hook('a-notify', 'post-upgrade'),
  hook('smoke', 'test'),
  hook('cleanup', 'pre-delete'),
  hook('undo', 'post-rollback'),
  hook('odd', 'pre-frobnicate', { 'helm.sh/hook-weight': 'x' }),
];

describe('classify (hook rule)', () => {
  it('first apply: install hooks run, CRDs and objects apart, the rest skipped with a reason each', () => {
    const c = classify(all, false);
    expect(c.crds.map((o) => o.object.kind)).toEqual(['CustomResourceDefinition']);
    expect(c.objects.map((o) => o.object.kind)).toEqual(['Service']);
    expect(names(c.hooks.pre)).toEqual(['seed', 'migrate']); // weight -1 before 5
    expect(c.hooks.pre[1]).toMatchObject({
      weight: 5,
      events: ['pre-install', 'pre-upgrade'],
      deletePolicies: ['before-hook-creation', 'hook-succeeded'],
    });
    expect(names(c.hooks.post)).toEqual(['b-notify']);
    expect(c.skippedHooks.map((s) => [s.name, s.reason.split(':')[0]])).toEqual([
      ['a-notify', 'upgrade hook'],
      ['smoke', 'test hook'],
      ['cleanup', 'delete hook'],
      ['undo', 'rollback hook'],
      ['odd', 'unknown hook event pre-frobnicate'],
    ]);
    expect(c.skippedHooks[0]).toMatchObject({ file: 'web/templates/a-notify.yaml', kind: 'Job', events: ['post-upgrade'] });
  });

  it('upgrade: upgrade hooks run, install-only hooks are reported, same weight sorts by name', () => {
    const c = classify(all, true);
    expect(names(c.hooks.pre)).toEqual(['migrate']);
    expect(names(c.hooks.post)).toEqual(['a-notify', 'b-notify']);
    expect(c.skippedHooks.find((s) => s.name === 'seed')?.reason).toMatch(/^install hook/);
    // Every input object lands somewhere: nothing is dropped.
    expect(c.crds.length + c.objects.length + c.hooks.pre.length + c.hooks.post.length + c.skippedHooks.length).toBe(all.length);
  });
});
