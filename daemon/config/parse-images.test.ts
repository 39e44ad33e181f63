import { describe, expect, it } from 'vitest';
import { Issues } from './fields.js';
import { parseImages } from './parse-images.js';

function parse(raw: unknown[]): { specs: ReturnType<typeof parseImages>; issues: { path: string; message: string }[] } {
  const issues = new Issues();
  const specs = parseImages(raw, issues, '/etc/seal');
  return { specs, issues: issues.list };
}

describe('parseImages', () => {
  it('a full entry, with defaults', () => {
    const { specs, issues } = parse([
      {
        name: 'app',
        image: 'ghcr.io/org/app',
        interval: '10m',
        credentials: { dockerConfigJsonFrom: { file: 'pull.json' } },
        caFile: 'ca.pem',
        policy: { semver: { range: '>=1.0.0' } },
        filterTags: { pattern: '^v(?P<v>.*)$', extract: '$v' },
        digestPinning: true,
      },
      { name: 'nginx', image: 'nginx', policy: { numerical: {} } },
    ]);
    expect(issues).toEqual([]);
    expect(specs[0]).toMatchObject({
      name: 'app',
      ref: { registry: 'ghcr.io', repository: 'org/app' },
      intervalMs: 600_000,
      credentials: { dockerConfigJsonFrom: { file: '/etc/seal/pull.json' } },
      caFile: '/etc/seal/ca.pem',
      insecure: false,
      exclusionList: ['^.*\\.sig$'],
      policy: { semver: { range: '>=1.0.0' } },
      filterTags: { pattern: '^v(?P<v>.*)$', extract: '$v' },
      digestPinning: true,
    });
    expect(specs[1]).toMatchObject({
      ref: { apiHost: 'registry-1.docker.io', repository: 'library/nginx' },
      policy: { numerical: { order: 'asc' } },
      intervalMs: 300_000,
    });
  });

  it('reports every problem with its path', () => {
    const { specs, issues } = parse([
      {
        name: 'Bad_Name',
        image: 'ghcr.io/org/app:1.0',
        credentials: { password: 'x' },
        policy: { semver: { range: '1.0.0p' }, alphabetical: {} },
        filterTags: { pattern: '(' },
        exclusionList: ['[', 3],
        insecure: 'yes',
        interval: 'soon',
        polcy: {},
      },
      { name: 'x', image: 'x', policy: { semver: { range: 'not a range' } } },
      { name: 'y', image: 'y', policy: { alphabetical: { order: 'up' } } },
      { name: 'z', image: 'z', policy: {}, credentials: { usernameFrom: { env: 'U' } } },
      { name: 'x', image: 'x2', policy: { numerical: { order: 'DESC' } } },
    ]);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'spec.images[0].name',
        'spec.images[0].image',
        'spec.images[0].credentials.password',
        'spec.images[0].policy',
        'spec.images[0].filterTags.pattern',
        'spec.images[0].exclusionList[0]',
        'spec.images[0].exclusionList[1]',
        'spec.images[0].insecure',
        'spec.images[0].interval',
        'spec.images[0].polcy',
        'spec.images[1].policy.semver.range',
        'spec.images[2].policy.alphabetical.order',
        'spec.images[3].policy',
        'spec.images[3].credentials',
        'spec.images[4].name',
      ]),
    );
    expect(issues.find((i) => i.path === 'spec.images[0].polcy')?.message).toMatch(/did you mean "policy"/);
    expect(issues.find((i) => i.path === 'spec.images[0].credentials.password')?.message).toMatch(/inline secrets are not allowed/);
    expect(issues.find((i) => i.path === 'spec.images[0].image')?.message).toMatch(/without a tag/);
    // The valid-but-duplicated entry is still returned (the config as a whole fails on issues).
    expect(specs.map((s) => s.name)).toEqual(['x', 'x']);
    expect(specs[1]?.policy).toEqual({ numerical: { order: 'desc' } });
  });

  it('namespace: one name or a list; the same name may serve two namespaces, never one twice', () => {
    const policy = { semver: { range: '>=1.0.0' } };
    const { specs, issues } = parse([
      { name: 'web', namespace: 'team-a', image: 'ghcr.io/a/web', policy },
      { name: 'web', namespace: ['team-b', 'team-b-staging'], image: 'ghcr.io/b/web', policy },
      { name: 'web', matchAnyNamespace: true, image: 'ghcr.io/any/web', policy },
      { name: 'web', image: 'ghcr.io/plain/web', policy },
      { name: 'api', image: 'ghcr.io/api', policy },
    ]);
    expect(issues).toEqual([]);
    expect(specs.map((s) => [s.image, s.namespaces, s.matchAnyNamespace])).toEqual([
      ['ghcr.io/a/web', ['team-a'], false],
      ['ghcr.io/b/web', ['team-b', 'team-b-staging'], false],
      ['ghcr.io/any/web', [], true],
      ['ghcr.io/plain/web', [], false],
      ['ghcr.io/api', [], false],
    ]);
  });

  it('reports bad namespaces, a namespace served twice and namespace with matchAnyNamespace', () => {
    const policy = { semver: { range: '>=1.0.0' } };
    const { issues } = parse([
      { name: 'web', namespace: ['team-a', 'Team_B', 3, 'team-a'], image: 'ghcr.io/a/web', policy },
      { name: 'web', namespace: ['team-c', 'team-a'], image: 'ghcr.io/c/web', policy },
      { name: 'api', namespace: [], image: 'ghcr.io/api', policy },
      { name: 'job', namespace: 'team-a', matchAnyNamespace: true, image: 'ghcr.io/job', policy },
      { name: 'any', matchAnyNamespace: true, image: 'ghcr.io/any', policy },
      { name: 'any', matchAnyNamespace: true, image: 'ghcr.io/any2', policy },
      { name: 'x', matchAnyNamespace: 'yes', image: 'ghcr.io/x', policy },
    ]);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        'spec.images[0].namespace[1]',
        '"Team_B" is not a namespace name: must be a DNS label: lowercase letters, digits and "-", at most 63 characters',
      ],
      ['spec.images[0].namespace[2]', 'must be a namespace name (a string), not a number'],
      ['spec.images[0].namespace[3]', '"team-a" is listed twice'],
      ['spec.images[1].name', 'duplicate name "web" in namespace "team-a" (also spec.images[0])'],
      ['spec.images[2].namespace', 'must name at least one namespace (omit it for none)'],
      [
        'spec.images[3].matchAnyNamespace',
        'set either namespace (the namespaces its markers may name) or matchAnyNamespace: true, not both',
      ],
      ['spec.images[5].name', 'duplicate name "any" with matchAnyNamespace (also spec.images[4])'],
      ['spec.images[6].matchAnyNamespace', 'must be true or false, not a string'],
    ]);
  });
});
