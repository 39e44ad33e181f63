import { describe, expect, it } from 'vitest';
import { parseKustomization, resolveRef } from './kustomization.js';

describe('parseKustomization', () => {
  it('finds every path-bearing field', () => {
    const { refs, problems } = parseKustomization(
      `resources: [a.yaml, ../base]
bases: [../old]
components: [../comp]
crds: [crd.yaml]
configurations: [conf.yaml]
openapi: {path: schema.json}
patchesStrategicMerge:
  - smp.yaml
  - |-
    apiVersion: v1
    kind: ConfigMap
patches: [{path: p.yaml}, {patch: "inline"}]
patchesJson6902: [{path: j.json, target: {kind: X}}]
replacements: [{path: r.yaml}]
transformers: [t.yaml]
generators: [../gen]
validators: ["apiVersion: x\\nkind: Y"]
configMapGenerator: [{name: c, files: [k=c.txt, d.txt], envs: [c.env]}]
secretGenerator: [{name: s, env: s.env, files: [s.bin]}]
`,
      'k/kustomization.yaml',
    );
    expect(problems).toEqual([]);
    expect(refs.map((r) => `${r.kind}:${r.field}:${r.value}`)).toEqual([
      'target:resources:a.yaml',
      'target:resources:../base',
      'target:bases:../old',
      'target:components:../comp',
      'file:crds:crd.yaml',
      'file:configurations:conf.yaml',
      'file:openapi.path:schema.json',
      'file:patchesStrategicMerge:smp.yaml',
      'file:patches[0].path:p.yaml',
      'file:patchesJson6902[0].path:j.json',
      'file:replacements[0].path:r.yaml',
      'plugin:generators:../gen',
      'plugin:transformers:t.yaml',
      'generator-source:configMapGenerator[c].files:c.txt',
      'generator-source:configMapGenerator[c].files:d.txt',
      'generator-source:configMapGenerator[c].envs:c.env',
      'generator-source:secretGenerator[s].files:s.bin',
      'generator-source:secretGenerator[s].env:s.env',
    ]);
  });

  it('refuses helmCharts and names a broken file', () => {
    expect(parseKustomization('helmCharts: [{name: x}]\n', 'k.yaml').problems[0]).toMatch(/^k\.yaml: helmCharts/);
    expect(parseKustomization('resources: [\n', 'k.yaml').problems[0]).toMatch(/^k\.yaml: not valid YAML/);
    expect(parseKustomization('- a\n', 'k.yaml').problems[0]).toMatch(/must be a mapping/);
  });
});

describe('resolveRef', () => {
  it('resolves relative to the kustomization dir and refuses leaving the repo', () => {
    expect(resolveRef('apps/staging', '../base')).toBe('apps/base');
    expect(resolveRef('apps/staging', './patch.yaml')).toBe('apps/staging/patch.yaml');
    expect(resolveRef('', 'apps/')).toBe('apps');
    expect(resolveRef('apps', '..')).toBe('');
    expect(resolveRef('apps', '../../etc')).toBeUndefined();
    expect(resolveRef('apps', '/etc/passwd')).toBeUndefined();
  });
});
