import { describe, expect, it } from 'vitest';
import { filesToMaterialize, walkKustomizations, type RepoView } from './graph.js';

function repo(files: Record<string, string>): RepoView {
  return {
    files: new Set(Object.keys(files)),
    read: async (p) => {
      const t = files[p];
      if (t === undefined) throw new Error(`no ${p}`);
      return t;
    },
  };
}

const tree = {
  'apps/base/kustomization.yaml': 'resources: [deploy.yaml]\nsecretGenerator: [{name: s, envs: [s.enc.env]}]\n',
  'apps/base/deploy.yaml': 'kind: Deployment\n',
  'apps/base/s.enc.env': 'A=ENC[...]\n',
  'apps/base/sub/extra.yaml': 'x: 1\n',
  'apps/staging/kustomization.yaml': 'resources: [../base]\ncomponents: [../comp]\npatches: [{path: p.yaml}]\n',
  'apps/staging/p.yaml': 'kind: Deployment\n',
  'apps/comp/Kustomization': 'kind: Component\n',
  'apps/production/kustomization.yaml': 'resources: [../base]\n',
  'other/secret.enc.yaml': 'sops: {}\n',
};

describe('walkKustomizations', () => {
  it('reaches bases and components; names each file with its use', async () => {
    const g = await walkKustomizations(repo(tree), 'apps/staging');
    expect(g.problems).toEqual([]);
    expect(g.root).toBe('apps/staging/kustomization.yaml');
    expect(g.dirs).toEqual(['apps/staging', 'apps/base', 'apps/comp']);
    expect([...g.files.keys()].sort()).toEqual(['apps/base/deploy.yaml', 'apps/base/s.enc.env', 'apps/staging/p.yaml']);
    expect(g.files.get('apps/base/s.enc.env')?.[0]?.ref.generator).toEqual({ kind: 'secretGenerator', name: 's', use: 'envs' });
    expect(filesToMaterialize(repo(tree).files, g)).toEqual([
      'apps/base/deploy.yaml',
      'apps/base/kustomization.yaml',
      'apps/base/s.enc.env',
      'apps/base/sub/extra.yaml',
      'apps/comp/Kustomization',
      'apps/staging/kustomization.yaml',
      'apps/staging/p.yaml',
    ]);
  });

  it('reports every broken reference at once, naming the kustomization and the field', async () => {
    const g = await walkKustomizations(
      repo({
        'k/kustomization.yaml': 'resources: [missing.yaml, ../../../etc, nokust, https://evil.example/x.yaml]\npatches: [{path: dir}]\n',
        'k/nokust/a.yaml': 'x: 1\n',
        'k/dir/b.yaml': 'x: 1\n',
      }),
      'k',
    );
    expect(g.problems).toEqual([
      'k/kustomization.yaml: resources "missing.yaml": k/missing.yaml does not exist in this revision',
      'k/kustomization.yaml: resources "../../../etc" leaves the repository',
      'k/kustomization.yaml: resources "nokust": directory k/nokust has no kustomization file',
      'k/kustomization.yaml: resources "https://evil.example/x.yaml" is a remote reference to evil.example, which the sync does not allow (render.kustomize.allowRemoteHosts)',
      'k/kustomization.yaml: patches[0].path "dir": k/dir is a directory, not a file',
    ]);
  });

  it('lets allow-listed hosts through and records them', async () => {
    const g = await walkKustomizations(repo({ 'k/kustomization.yaml': 'resources: [github.com/org/repo//base?ref=v1]\n' }), 'k', ['github.com']);
    expect(g.problems).toEqual([]);
    expect(g.remotes).toEqual([{ kustomization: 'k/kustomization.yaml', field: 'resources', value: 'github.com/org/repo//base?ref=v1', host: 'github.com' }]);
  });

  it('survives cycles', async () => {
    const g = await walkKustomizations(repo({ 'a/kustomization.yaml': 'resources: [../b]\n', 'b/kustomization.yaml': 'resources: [../a]\n' }), 'a');
    expect(g.dirs).toEqual(['a', 'b']);
  });
});
