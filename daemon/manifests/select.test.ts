import { describe, expect, it } from 'vitest';
import { normalizeRoot, selectManifestFiles } from './select.js';

describe('selectManifestFiles', () => {
  const paths = [
    'README.md',
    'deploy/b.yaml',
    'deploy/a.yml',
    'deploy/sub/c.json',
    'deploy/sub/notes.txt',
    'deploy/.sops.yaml',
    'deploy/.hidden/x.yaml',
    'deploy/kustomization.yaml',
    'deployment/other.yaml',
    '.github/workflows/ci.yml',
    'root.yaml',
  ];

  it('selects yaml/yml/json under the path recursively, sorted, skipping hidden files and directories', () => {
    expect(selectManifestFiles(paths, './deploy/')).toEqual([
      'deploy/a.yml',
      'deploy/b.yaml',
      'deploy/kustomization.yaml',
      'deploy/sub/c.json',
    ]);
  });

  it('treats ".", "" and "/" as the repository root', () => {
    for (const root of ['.', '', '/', './']) {
      expect(selectManifestFiles(paths, root)).toEqual([
        'deploy/a.yml',
        'deploy/b.yaml',
        'deploy/kustomization.yaml',
        'deploy/sub/c.json',
        'deployment/other.yaml',
        'root.yaml',
      ]);
    }
  });

  it('does not escape the repository with ..', () => {
    expect(normalizeRoot('../../etc')).toBe('etc');
    expect(normalizeRoot('deploy/../prod/')).toBe('prod');
  });
});
