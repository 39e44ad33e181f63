import { describe, expect, it } from 'vitest';
import { read } from './read.js';

describe('read stage', () => {
  it('gives every document its file of origin, in file then document order, empty documents dropped', () => {
    const out = read([
      { path: 'a.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# only a comment\n---\n{"x": 1}\n' },
      { path: 'b.json', text: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}' },
    ]);
    expect(out.documents.map((d) => [d.file, d.index])).toEqual([
      ['a.yaml', 0],
      ['a.yaml', 2],
      ['b.json', 0],
    ]);
    expect(out.files).toEqual(['a.yaml', 'b.json']);
    expect(out.problems).toEqual([]);
  });

  it('carries decoding problems instead of throwing, and warns about kustomization files', () => {
    const out = read([
      { path: 'bad.yaml', text: 'key: [unclosed\n' },
      { path: 'kustomization.yaml', text: 'resources: []\n' },
    ]);
    expect(out.problems.map((p) => p.file)).toEqual(['bad.yaml']);
    expect(out.warnings).toEqual(['kustomization.yaml: kustomize not supported, file ignored']);
    expect(out.documents).toEqual([]);
  });
});
