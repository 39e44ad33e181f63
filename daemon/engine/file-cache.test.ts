import { describe, expect, it } from 'vitest';
import type { ManifestObject } from '../manifests/index.js';
import { entriesOf, refill, reusable, type FileCache, type FileCacheEntry } from './file-cache.js';

const entry = (oid: string): FileCacheEntry => ({ oid, objects: [], decrypted: false, warnings: [] });
const obj = (file: string, name: string): ManifestObject => ({
  file,
  index: 0,
  line: 1,
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
  encrypted: false,
});

describe('file cache', () => {
  it('reuses an entry only for the same path and the same blob id', () => {
    const cache: FileCache = new Map([
      ['a.yaml', entry('1')],
      ['b.yaml', entry('2')],
      ['gone.yaml', entry('3')],
    ]);
    const hit = reusable(
      cache,
      ['a.yaml', 'b.yaml', 'new.yaml'],
      new Map([
        ['a.yaml', '1'],
        ['b.yaml', '2b'],
        ['new.yaml', '4'],
      ]),
    );
    expect([...hit.keys()]).toEqual(['a.yaml']);
    expect(reusable(undefined, ['a.yaml'], new Map([['a.yaml', '1']])).size).toBe(0);
  });

  it('makes one entry per file read: its objects, decrypted or not, its own warnings', () => {
    const fresh = entriesOf(
      [{ path: 'a.yaml' }, { path: 'b.yaml' }, { path: 'c.yaml' }],
      new Map([
        ['a.yaml', '1'],
        ['b.yaml', '2'],
      ]),
      { objects: [obj('a.yaml', 'x'), obj('b.yaml', 'y'), obj('a.yaml', 'z')], warnings: ['b.yaml: a warning', 'c.yaml.bak: not c'] },
      ['b.yaml'],
    );
    expect([...fresh].map(([p, e]) => [p, e.oid, e.objects.map((o) => o.metadata.name), e.decrypted, e.warnings])).toEqual([
      ['a.yaml', '1', ['x', 'z'], false, []],
      ['b.yaml', '2', ['y'], true, ['b.yaml: a warning']],
      ['c.yaml', '', [], false, []],
    ]);
  });

  it('refill keeps exactly the given entries that have a blob id', () => {
    const cache: FileCache = new Map([['old.yaml', entry('9')]]);
    refill(cache, [
      ['a.yaml', entry('1')],
      ['b.yaml', entry('')],
    ]);
    expect([...cache.keys()]).toEqual(['a.yaml']);
  });
});
