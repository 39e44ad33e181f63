import { describe, expect, it } from 'vitest';
import { normalizePath } from './object-io.js';

describe('normalizePath', () => {
  it('normalises and refuses to escape the tree', () => {
    expect(normalizePath('./apps//a/')).toBe('apps/a');
    expect(normalizePath('/')).toBe('');
    expect(() => normalizePath('apps/../../etc')).toThrow(/\.\./);
  });
});
