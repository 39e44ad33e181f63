import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { expandString, ExpansionError, retypePlain } from './expand.js';
import { loadConfig, parseConfig } from './parse.js';

describe('expandString', () => {
  const env = { HOST: 'git.local', EMPTY: '', PORT: '8080' };

  it('replaces ${NAME} with the value, several times and next to text', () => {
    expect(expandString('http://${HOST}:${PORT}/r.git', env)).toBe('http://git.local:8080/r.git');
    expect(expandString('${HOST}${HOST}', env)).toBe('git.localgit.local');
  });

  it('leaves text without ${ alone, including a lone $', () => {
    expect(expandString('a $b $ c$', env)).toBe('a $b $ c$');
  });

  it('$${ is a literal ${', () => {
    expect(expandString('$${HOST} and ${HOST}', env)).toBe('${HOST} and git.local');
  });

  it(':- defaults on unset or empty, - only on unset', () => {
    expect(expandString('${NOPE:-d}', env)).toBe('d');
    expect(expandString('${EMPTY:-d}', env)).toBe('d');
    expect(expandString('${NOPE-d}', env)).toBe('d');
    expect(expandString('${EMPTY-d}', env)).toBe('');
    expect(expandString('${HOST:-d}', env)).toBe('git.local');
    expect(expandString('${NOPE:-}', env)).toBe('');
    expect(expandString('${NOPE:-127.0.0.1:9797}', env)).toBe('127.0.0.1:9797');
  });

  it('a default may itself hold ${...}, nested as POSIX shells allow', () => {
    const cases: [string, string][] = [
      ['${NOPE:-${HOST}}', 'git.local'],
      ['${PORT:-${HOST}}', '8080'],
      ['${NOPE:-http://${HOST}:${PORT:-80}/x}/r.git', 'http://git.local:8080/x/r.git'],
      ['${NOPE:-${ALSO_NOPE:-${EMPTY:-deep}}}', 'deep'],
      ['${NOPE-${EMPTY}}|${EMPTY-${HOST}}', '|'],
      ['${NOPE:-$${HOST}}', '${HOST}'],
      ['${NOPE:-a}b}', 'ab}'],
    ];
    for (const [text, want] of cases) expect(expandString(text, env), text).toBe(want);
  });

  it('only the default that is used is expanded: an unset variable in an unused one is no error', () => {
    expect(expandString('${HOST:-${MISSING_VAR}}', env)).toBe('git.local');
    expect(() => expandString('${NOPE:-${MISSING_VAR}}', env)).toThrow(/MISSING_VAR is not set/);
  });

  it('a malformed or unterminated nested reference is refused even in an unused default', () => {
    expect(() => expandString('${HOST:-${1X}}', env)).toThrow(/invalid "\$\{1X\}"/);
    expect(() => expandString('${HOST:-${NOPE}', env)).toThrow(/unterminated/);
    expect(() => expandString('${HOST:-${NOPE:-x}', env)).toThrow(/unterminated/);
    const deep = `${'${A:-'.repeat(40)}x${'}'.repeat(40)}`;
    expect(() => expandString(deep, env)).toThrow(/nested more than 8 deep/);
  });

  it('an unset variable is an error naming it', () => {
    expect(() => expandString('x ${MISSING_VAR} y', env)).toThrow(ExpansionError);
    expect(() => expandString('x ${MISSING_VAR} y', env)).toThrow(/MISSING_VAR is not set/);
  });

  it('refuses malformed references', () => {
    expect(() => expandString('${1ABC}', env)).toThrow(/invalid "\$\{1ABC\}"/);
    expect(() => expandString('${}', env)).toThrow(/invalid/);
    expect(() => expandString('${HOST:+x}', env)).toThrow(/invalid/);
    expect(() => expandString('abc ${HOST', env)).toThrow(/unterminated/);
  });
});

describe('retypePlain', () => {
  it('reads YAML 1.2 core scalars and leaves everything else a string', () => {
    expect(retypePlain('true')).toBe(true);
    expect(retypePlain('FALSE')).toBe(false);
    expect(retypePlain('~')).toBe(null);
    expect(retypePlain('42')).toBe(42);
    expect(retypePlain('-0.5')).toBe(-0.5);
    expect(retypePlain('yes')).toBe('yes');
    expect(retypePlain('1m')).toBe('1m');
    expect(retypePlain('127.0.0.1:9797')).toBe('127.0.0.1:9797');
    expect(retypePlain('')).toBe('');
  });
});

const config = `apiVersion: gitops-seal.io/v1alpha1
kind: DaemonConfig
spec:
  listen: \${LISTEN:-127.0.0.1:9797}
  sources:
    - name: repo   # \${NOT_EXPANDED_IN_COMMENTS}
      url: \${GIT_URL}
      ref: {branch: "\${BRANCH:-main}"}
      interval: \${INTERVAL:-1m}
  syncs:
    - name: apps
      source: repo
      path: "$\${literal}"
      prune: \${PRUNE:-true}
      maxPruneRatio: \${RATIO:-0.5}
      kubeconfig: {file: "\${KUBECONFIG_FILE}"}
`;

function issuesOf(text: string, env: Record<string, string>): { path: string; message: string; line?: number }[] {
  try {
    parseConfig(text, 'demo.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig with ${NAME} expansion', () => {
  const env = { GIT_URL: 'http://127.0.0.1:3000/fleet.git', KUBECONFIG_FILE: '/tmp/kc', INTERVAL: '2s', PRUNE: 'false', RATIO: '1' };

  it('expands values, re-types unquoted ones, keeps quoted ones strings', () => {
    const c = parseConfig(config, 'demo.yaml', { env });
    expect(c.spec.listen).toBe('127.0.0.1:9797');
    expect(c.spec.sources[0]).toMatchObject({ url: 'http://127.0.0.1:3000/fleet.git', ref: { branch: 'main' }, intervalMs: 2000 });
    expect(c.spec.syncs[0]).toMatchObject({ path: '${literal}', prune: false, maxPruneRatio: 1, kubeconfig: { file: '/tmp/kc' } });
  });

  it('an unset variable fails with the variable, field path, line and file; values never appear', () => {
    let err: unknown;
    try {
      parseConfig(config, 'demo.yaml', { env: { KUBECONFIG_FILE: 's3cr3t-looking-value' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.issues).toEqual([{ path: 'spec.sources[0].url', line: 7, message: expect.stringContaining('GIT_URL is not set') }]);
    expect(ce.message).toMatch(/^demo\.yaml: line 7: spec\.sources\[0\]\.url: environment variable GIT_URL is not set/);
    expect(ce.message).not.toContain('s3cr3t');
  });

  it('reports every unexpandable value at once, in sequences too', () => {
    const issues = issuesOf(config.replace('source: repo\n', 'source: ${SYNC_SOURCE}\n'), {});
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['spec.sources[0].url', 7],
      ['spec.syncs[0].source', 12],
      ['spec.syncs[0].kubeconfig.file', 16],
    ]);
  });

  it('an expanded value that is invalid is reported by validation like a literal one', () => {
    const issues = issuesOf(config, { ...env, INTERVAL: 'soon' });
    expect(issues).toEqual([expect.objectContaining({ path: 'spec.sources[0].interval', line: 9 })]);
  });

  it('nested defaults expand in a config; an unset inner variable names itself, the field and the line', () => {
    const nested = config.replace('url: ${GIT_URL}', 'url: ${GIT_URL:-http://${GIT_HOST}/fleet.git}');
    expect(parseConfig(nested, 'demo.yaml', { env: { ...env, GIT_URL: '', GIT_HOST: 'git.local:3000' } }).spec.sources[0]?.url).toBe(
      'http://git.local:3000/fleet.git',
    );
    expect(parseConfig(nested, 'demo.yaml', { env }).spec.sources[0]?.url).toBe(env.GIT_URL);
    expect(issuesOf(nested, { KUBECONFIG_FILE: '/kc' })).toEqual([
      {
        path: 'spec.sources[0].url',
        line: 7,
        message: 'environment variable GIT_HOST is not set (use ${GIT_HOST:-default} for a default)',
      },
    ]);
  });

  it('keys are not expanded', () => {
    const issues = issuesOf(config.replace('  listen:', '  ${LISTEN_KEY}:'), env);
    expect(issues).toEqual([expect.objectContaining({ path: 'spec.${LISTEN_KEY}', message: expect.stringContaining('unknown field') })]);
  });
});

describe('loadConfig expands from process.env', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads variables at load time and names the file when one is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gitops-seal-expand-'));
    const file = join(dir, 'daemon.yaml');
    await writeFile(file, config);
    process.env.GIT_URL = 'http://git.example/fleet.git';
    process.env.KUBECONFIG_FILE = 'kc.yaml';
    const c = await loadConfig(file);
    expect(c.spec.sources[0]?.url).toBe('http://git.example/fleet.git');
    // relative paths still resolve against the config file's directory after expansion
    expect(c.spec.syncs[0]?.kubeconfig?.file).toBe(join(dir, 'kc.yaml'));
    delete process.env.GIT_URL;
    await expect(loadConfig(file)).rejects.toThrow(`${file}: line 7: spec.sources[0].url: environment variable GIT_URL is not set`);
  });
});

describe('examples/daemon-config.yaml (npm run demo, docker-compose)', () => {
  const file = join(import.meta.dirname, '..', '..', 'examples', 'daemon-config.yaml');
  const required = ['GITOPS_SEAL_GIT_URL', 'GITOPS_SEAL_KUBECONFIG', 'GITOPS_SEAL_AGE_KEY_FILE', 'GITOPS_SEAL_REGISTRY'];

  it('loads with the variables examples/README.md lists, and names every required one that is missing', async () => {
    const text = await readFile(file, 'utf8');
    const env = {
      GITOPS_SEAL_GIT_URL: 'http://gitea:3000/seal/fleet.git',
      GITOPS_SEAL_KUBECONFIG: '/kube/kubeconfig.yaml',
      GITOPS_SEAL_AGE_KEY_FILE: '/keys/age.key',
      GITOPS_SEAL_REGISTRY: 'registry:5000',
      GITOPS_SEAL_REGISTRY_INSECURE: 'true',
      GITOPS_SEAL_IMAGE_INTERVAL: '2s',
    };
    const c = parseConfig(text, file, { env });
    expect(c.spec.listen).toBe('127.0.0.1:9797');
    expect(c.spec.sources[0]).toMatchObject({ url: env.GITOPS_SEAL_GIT_URL, ref: { branch: 'main' }, intervalMs: 30_000 });
    expect(c.spec.syncs[0]).toMatchObject({
      name: 'demo-fleet',
      kubeconfig: { file: '/kube/kubeconfig.yaml' },
      decryption: { age: { identitiesFrom: [{ file: '/keys/age.key' }] } },
    });
    expect(c.spec.images[0]).toMatchObject({ name: 'podinfo', image: 'registry:5000/demo/podinfo', insecure: true, intervalMs: 2000 });
    const missing = issuesOf(text, {}).map((i) => /environment variable (\w+) is not set/.exec(i.message)?.[1]);
    expect(missing).toEqual(required);
  });
});
