import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const head = `apiVersion: gitops-seal.io/v1alpha1
kind: DaemonConfig
spec:
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main}
  syncs:
`;

function sync(yaml: string): string {
  return `${head}    - name: apps\n      source: repo\n${yaml
    .split('\n')
    .map((l) => (l ? `      ${l}` : l))
    .join('\n')}\n`;
}

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(({ path, message }) => ({ path, message }));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('spec.syncs[].render', () => {
  it('is absent unless written, and defaulted when written', () => {
    expect(parseConfig(sync('path: apps'), 'c.yaml').spec.syncs[0]?.render).toBeUndefined();
    expect(parseConfig(sync('render: {}'), 'c.yaml').spec.syncs[0]?.render).toEqual({
      timeoutMs: 120_000,
      maxOutputBytes: 64 * 1024 * 1024,
      kustomize: { allowRemoteHosts: [] },
    });
  });

  it('reads the limits and the allow-list', () => {
    const s = parseConfig(
      sync('render:\n  timeout: 30s\n  maxOutputBytes: 1048576\n  kustomize:\n    allowRemoteHosts: [GitHub.com, "*.corp.example"]'),
      'c.yaml',
    ).spec.syncs[0];
    expect(s?.render).toEqual({
      timeoutMs: 30_000,
      maxOutputBytes: 1_048_576,
      kustomize: { allowRemoteHosts: ['github.com', '*.corp.example'] },
    });
  });

  it('refuses bad allow-list entries, durations and sizes, naming the field path', () => {
    const issues = issuesOf(
      sync(
        'render:\n  timeout: soon\n  maxOutputBytes: 10\n  kustomize:\n    allowRemoteHosts: ["https://github.com", "*.com", 7]\n  kustomise: {}',
      ),
    );
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    expect([...byPath.keys()].sort()).toEqual([
      'spec.syncs[0].render.kustomise',
      'spec.syncs[0].render.kustomize.allowRemoteHosts[0]',
      'spec.syncs[0].render.kustomize.allowRemoteHosts[1]',
      'spec.syncs[0].render.kustomize.allowRemoteHosts[2]',
      'spec.syncs[0].render.maxOutputBytes',
      'spec.syncs[0].render.timeout',
    ]);
    expect(byPath.get('spec.syncs[0].render.kustomise')).toContain('did you mean "kustomize"');
    expect(byPath.get('spec.syncs[0].render.kustomize.allowRemoteHosts[0]')).toContain('is not a host name');
    expect(byPath.get('spec.syncs[0].render.kustomize.allowRemoteHosts[1]')).toContain('a wildcard needs a domain with a dot');
  });
});

describe('spec.syncs[].helm', () => {
  it('reads a git chart with defaults: release named after the sync, in targetNamespace', () => {
    const s = parseConfig(sync('targetNamespace: web\nhelm:\n  chart: {git: {path: ./charts/web/}}'), 'c.yaml').spec.syncs[0];
    expect(s?.path).toBe('');
    expect(s?.helm).toEqual({
      chart: { git: { path: 'charts/web' } },
      release: { name: 'apps', namespace: 'web' },
      valuesFiles: [],
      includeCrds: true,
    });
  });

  it('reads repository and oci charts with credentials, values files and inline values', () => {
    const repo = parseConfig(
      sync(
        [
          'helm:',
          '  chart:',
          '    repository:',
          '      url: https://charts.example.com/stable',
          '      chart: podinfo',
          '      version: ">=6.0.0 <7"',
          '      credentials: {usernameFrom: {env: U}, passwordFrom: {file: /p}}',
          '  release: {name: pod, namespace: apps}',
          '  valuesFiles: [clusters/prod/values.yaml, ./clusters/prod/secrets.sops.yaml]',
          '  values: {replicaCount: 2, image: {tag: "1.0"}}',
          '  includeCRDs: false',
        ].join('\n'),
      ),
      'c.yaml',
    ).spec.syncs[0]?.helm;
    expect(repo).toEqual({
      chart: {
        repository: {
          url: 'https://charts.example.com/stable',
          chart: 'podinfo',
          version: '>=6.0.0 <7',
          credentials: { usernameFrom: { env: 'U' }, passwordFrom: { file: '/p' } },
        },
      },
      release: { name: 'pod', namespace: 'apps' },
      valuesFiles: ['clusters/prod/values.yaml', 'clusters/prod/secrets.sops.yaml'],
      values: { replicaCount: 2, image: { tag: '1.0' } },
      includeCrds: false,
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    const oci = parseConfig(sync(`helm:\n  chart: {oci: {url: "oci://r.example/charts/p", digest: "${digest}", insecure: true}}`), 'c.yaml')
      .spec.syncs[0]?.helm;
    expect(oci?.chart).toEqual({ oci: { url: 'oci://r.example/charts/p', digest, insecure: true } });
    expect(oci?.release).toEqual({ name: 'apps', namespace: 'default' });
  });

  it('refuses helm with path, naming the sync', () => {
    const issues = issuesOf(sync('path: apps\nhelm:\n  chart: {git: {path: charts/web}}'));
    expect(issues).toEqual([{ path: 'spec.syncs[0].helm', message: 'sync "apps" sets both path and helm; set exactly one' }]);
  });

  it('wants exactly one chart source', () => {
    expect(issuesOf(sync('helm:\n  chart: {}'))).toEqual([
      { path: 'spec.syncs[0].helm.chart', message: 'must set exactly one of git, repository, oci' },
    ]);
    expect(issuesOf(sync('helm:\n  chart: {git: {path: c}, oci: {url: "oci://r/c"}}'))[0]).toEqual({
      path: 'spec.syncs[0].helm.chart',
      message: 'sets git and oci; exactly one of git, repository, oci is allowed',
    });
    expect(issuesOf(sync('helm: {}'))).toEqual([{ path: 'spec.syncs[0].helm.chart', message: 'is required' }]);
  });

  it('refuses bad chart fields, escaping paths and a release namespace outside allowedNamespaces', () => {
    const issues = issuesOf(
      sync(
        [
          'allowedNamespaces: [apps]',
          'targetNamespace: apps',
          'helm:',
          '  chart: {oci: {url: "https://r/c", version: "not a range!", digest: "sha256:12"}}',
          '  release: {namespace: other}',
          '  valuesFiles: [../outside.yaml, ""]',
          '  values: [1]',
        ].join('\n'),
      ),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'spec.syncs[0].helm.chart.oci.url',
      'spec.syncs[0].helm.chart.oci.version',
      'spec.syncs[0].helm.chart.oci.digest',
      'spec.syncs[0].helm.release.namespace',
      'spec.syncs[0].helm.valuesFiles[0]',
      'spec.syncs[0].helm.valuesFiles[1]',
      'spec.syncs[0].helm.values',
    ]);
    expect(issues[0]?.message).toBe('must be an oci:// URL (oci://host/path/chart)');
    expect(issues[3]?.message).toBe('release namespace "other" is not in allowedNamespaces');
    expect(issues[4]?.message).toBe('must stay inside the repository');
  });

  it('refuses credentials in a chart URL without echoing them', () => {
    const issues = issuesOf(sync('helm:\n  chart: {repository: {url: "https://u:hunter2@charts.example.com", chart: c}}'));
    expect(issues).toEqual([
      {
        path: 'spec.syncs[0].helm.chart.repository.url',
        message: 'must not contain credentials; use credentials.usernameFrom/passwordFrom',
      },
    ]);
  });
});
