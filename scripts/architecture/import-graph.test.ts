import { describe, expect, it } from 'vitest';
import { resolveSpecifier } from './import-graph.js';

describe('resolveSpecifier', () => {
  it('maps the .js a NodeNext import names to the .ts source', () => {
    expect(resolveSpecifier('daemon/apply/manager.ts', '../kube/client.js')).toBe('daemon/kube/client.ts');
    expect(resolveSpecifier('cli/main.ts', './commands/build.js')).toBe('cli/commands/build.ts');
  });

  it('keeps other targets as written', () => {
    expect(resolveSpecifier('test/stack/x.ts', '../../package.json')).toBe('package.json');
  });
});
