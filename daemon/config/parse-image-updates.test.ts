import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Issues, Obj } from './fields.js';
import { branchProblem, readImageUpdates } from './parse-image-updates.js';
import type { SourceSpec } from './types.js';

const sources: SourceSpec[] = [
  { name: 'platform', url: 'http://git.local/p.git', ref: { branch: 'main' }, intervalMs: 60_000, jitterPercent: 10 },
  { name: 'releases', url: 'http://git.local/r.git', ref: { semver: '>=1' }, intervalMs: 60_000, jitterPercent: 10 },
];

function read(yaml: string, baseDir?: string) {
  const issues = new Issues();
  const spec = Obj.read(issues, 'spec', parse(yaml), 'Spec') as Obj;
  const out = readImageUpdates({ issues, ...(baseDir ? { baseDir } : {}) }, spec, sources);
  return { out, issues: issues.list };
}

describe('spec.imageUpdates', () => {
  it('applies defaults', () => {
    const { out, issues } = read(`
sources: [{name: platform}, {name: releases}]
imageUpdates:
  - name: apps
    source: platform
    author: {name: bot, email: bot@example.com}
`);
    expect(issues).toEqual([]);
    expect(out).toEqual([
      {
        name: 'apps',
        source: 'platform',
        path: '',
        author: { name: 'bot', email: 'bot@example.com' },
        messageTemplate: 'Update from image update automation',
      },
    ]);
  });

  it('reads every field; relative key files resolve against the config directory', () => {
    const { out, issues } = read(
      `
sources: [{name: platform}]
imageUpdates:
  - name: apps
    source: platform
    path: ./clusters/prod/
    branch: image-updates
    author: {name: Image Bot, email: bot@example.com}
    messageTemplate: "Bump {{ image }} to {{newTag}}\\n\\n{{changes}}"
    signingKey: {file: keys/bot}
`,
      '/etc/gitops-seal',
    );
    expect(issues).toEqual([]);
    expect(out[0]).toEqual({
      name: 'apps',
      source: 'platform',
      path: 'clusters/prod',
      branch: 'image-updates',
      author: { name: 'Image Bot', email: 'bot@example.com' },
      messageTemplate: 'Bump {{ image }} to {{newTag}}\n\n{{changes}}',
      signingKey: { file: '/etc/gitops-seal/keys/bot' },
    });
  });

  it('reports every problem with its path', () => {
    const { issues } = read(`
sources: [{name: platform}, {name: releases}]
imageUpdates:
  - name: Apps
    source: nope
    path: ../up
    branch: "bad branch"
    author: {name: bot, mail: x}
    messageTemplate: "{{tag}}"
    signingKey: {file: 3}
    brnach: x
  - name: rel
    source: releases
    author: {name: bot, email: not-an-email}
  - name: rel
    source: platform
  - 7
`);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'spec.imageUpdates[0].brnach: unknown field; did you mean "branch"?',
      'spec.imageUpdates[0].name: must be a DNS label: lowercase letters, digits and "-", at most 63 characters',
      'spec.imageUpdates[0].branch: must not contain spaces or any of ~^:?*[\\',
      'spec.imageUpdates[0].source: no source named "nope" (sources: platform, releases)',
      'spec.imageUpdates[0].author.mail: unknown field; did you mean "email"?',
      'spec.imageUpdates[0].author.email: is required',
      'spec.imageUpdates[0].messageTemplate: unknown placeholder {{tag}}; known: automation, image, oldTag, newTag, files, changes',
      'spec.imageUpdates[0].signingKey.file: must be a string, not a number',
      'spec.imageUpdates[1].branch: is required: source "releases" does not follow a branch',
      'spec.imageUpdates[1].author.email: must be an email address like bot@example.com',
      'spec.imageUpdates[2].author: is required',
      'spec.imageUpdates[3]: must be a mapping, not a number',
    ]);
  });

  it('rejects duplicate names', () => {
    const { issues } = read(`
sources: [{name: platform}]
imageUpdates:
  - {name: a, source: platform, author: {name: b, email: b@x.io}}
  - {name: a, source: platform, author: {name: b, email: b@x.io}}
`);
    expect(issues).toEqual([{ path: 'spec.imageUpdates[1].name', message: 'duplicate name "a" (also spec.imageUpdates[0])' }]);
  });

  it.each([
    ['main', undefined],
    ['feature/x-1', undefined],
    ['a..b', 'is not a valid branch name'],
    ['-x', 'is not a valid branch name'],
    ['x.lock', 'is not a valid branch name'],
    ['refs/heads/main', 'must be a branch name, without refs/heads/'],
  ])('branch %s', (b, want) => {
    expect(branchProblem(b)).toBe(want);
  });
});
