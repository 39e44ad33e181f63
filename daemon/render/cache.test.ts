import { describe, expect, it } from 'vitest';
import { RenderCache, renderKey, type RenderKeyParts } from './cache.js';

const base: RenderKeyParts = { tool: 'kustomize', toolIdentity: '/bin/kustomize@v5.8.1', path: 'apps/staging', settings: ['allowRemoteHosts='], files: [['a', '1'], ['b', '2']] };

describe('renderKey', () => {
  it('depends on every input and not on file order', () => {
    const k = renderKey(base);
    expect(renderKey({ ...base, files: [['b', '2'], ['a', '1']] })).toBe(k);
    for (const other of [{ toolIdentity: 'x' }, { path: 'apps' }, { settings: ['allowRemoteHosts=github.com'] }, { files: [['a', '1'], ['b', '3']] as [string, string][] }, { files: [['a', '1']] as [string, string][] }]) {
      expect(renderKey({ ...base, ...other })).not.toBe(k);
    }
    // Length-prefixed fields: moving a boundary changes the key.
    expect(renderKey({ ...base, files: [['ab', '1']] })).not.toBe(renderKey({ ...base, files: [['a', 'b1']] }));
  });
});

describe('RenderCache', () => {
  it('keeps the last render per sync', () => {
    const c = new RenderCache<number>();
    c.set('s', 'k1', 1);
    expect(c.get('s', 'k1')).toBe(1);
    expect(c.get('s', 'k2')).toBeUndefined();
    c.set('s', 'k2', 2);
    expect(c.get('s', 'k1')).toBeUndefined();
    expect([c.hits, c.misses]).toEqual([1, 2]);
  });
});
