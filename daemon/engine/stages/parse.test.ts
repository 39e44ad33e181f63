import { describe, expect, it } from 'vitest';
import { RevisionError } from '../errors.js';
import { parse } from './parse.js';
import { read } from './read.js';

const at = { sync: 'apps', commit: 'abcdef0123456789' };

function refusal(fn: () => unknown): RevisionError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RevisionError) return e;
    throw e;
  }
  throw new Error('expected a RevisionError');
}

describe('parse stage', () => {
  it('turns documents into validated objects with their file, Lists flattened', () => {
    const docs = read([
      {
        path: 'd/l.yaml',
        text: 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n',
      },
    ]);
    const out = parse(docs, at);
    expect(out.objects.map((o) => [o.file, o.item, (o.object.metadata as { name: string }).name])).toEqual([
      ['d/l.yaml', 0, 'a'],
      ['d/l.yaml', 1, 'b'],
    ]);
  });

  it('refuses at `manifests` with every problem of every file, decoding problems included', () => {
    const docs = read([
      { path: 'a.yaml', text: 'key: [unclosed\n' },
      { path: 'b.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' },
    ]);
    const err = refusal(() => parse(docs, at));
    expect(err.stage).toBe('manifests');
    expect(err.problems[0]).toBe('2 problems in manifests:');
    expect(err.problems[1]).toMatch(/^a\.yaml:\d+:\d+ \(document 0\): YAML syntax error/);
    expect(err.problems[2]).toBe('b.yaml:1 (document 0): ConfigMap: metadata.name is missing');
  });

  it('refuses a document that still carries a sops block at `decrypt`, naming file and document', () => {
    const docs = read([
      { path: 'd/s.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Secret\nsops: {version: 3.9.0}\n' },
    ]);
    const err = refusal(() => parse(docs, at));
    expect(err.stage).toBe('decrypt');
    expect(err.problems).toEqual(['d/s.yaml: document 1 has a sops block the file-level decryption did not cover']);
  });
});
