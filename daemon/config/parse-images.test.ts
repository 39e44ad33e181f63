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
    expect(specs[1]).toMatchObject({ ref: { apiHost: 'registry-1.docker.io', repository: 'library/nginx' }, policy: { numerical: { order: 'asc' } }, intervalMs: 300_000 });
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
});
