import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig, parseConfig } from './parse.js';

const head = 'apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\n';
const minimal = `${head}spec:
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main}
  syncs:
    - name: apps
      source: repo
`;

function issuesOf(text: string): { path: string; message: string; line?: number }[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies documented defaults', () => {
    const c = parseConfig(minimal, 'cfg.yaml');
    expect(c.spec.listen).toBe('127.0.0.1:9797');
    expect(c.spec.sources[0]).toEqual({
      name: 'repo',
      url: 'http://git.local/repo.git',
      ref: { branch: 'main' },
      intervalMs: 60_000,
      jitterPercent: 10,
    });
    expect(c.spec.syncs[0]).toEqual({
      name: 'apps',
      source: 'repo',
      path: '',
      prune: true,
      intervalMs: 300_000,
      timeoutMs: 120_000,
      wait: false,
      force: true,
      maxPruneRatio: 0.5,
      allowEmpty: false,
    });
    expect(c.spec.images).toEqual([]);
  });

  it('collects every problem with its field path and line', () => {
    const text = `${head}spec:
  listen: localhost
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main, tag: v1}
      interval: 5 minutes
  syncs:
    - name: apps
      source: nope
      prune: yes
      decryption:
        vault:
          address: https://vault:8200
          auth: {}
`;
    const issues = issuesOf(text);
    expect(issues).toEqual([
      { path: 'spec.listen', line: 4, message: 'must be host:port, e.g. "127.0.0.1:9797", ":9797" or "[::1]:9797"' },
      { path: 'spec.sources[0].ref', line: 8, message: 'sets branch and tag; exactly one of branch, tag, semver, commit is allowed' },
      { path: 'spec.sources[0].interval', line: 9, message: 'invalid duration "5 minutes" (expected e.g. "30s", "5m", "1h30m")' },
      { path: 'spec.syncs[0].source', line: 12, message: 'no source named "nope" (sources: repo)' },
      { path: 'spec.syncs[0].prune', line: 13, message: 'must be true or false, not a string' },
      { path: 'spec.syncs[0].decryption.vault.auth', line: 17, message: 'must set exactly one of token, kubernetes, approle' },
    ]);
  });

  it('rejects unknown fields with a did-you-mean suggestion', () => {
    const issues = issuesOf(minimal.replace('      source: repo', '      source: repo\n      pruen: false\n      targetNamspace: x'));
    expect(issues).toEqual([
      { path: 'spec.syncs[0].pruen', line: 11, message: 'unknown field; did you mean "prune"?' },
      { path: 'spec.syncs[0].targetNamspace', line: 12, message: 'unknown field; did you mean "targetNamespace"?' },
    ]);
  });

  it('rejects inline secrets without echoing them', () => {
    const text = minimal.replace('ref: {branch: main}', 'ref: {branch: main}\n      credentials: {password: hunter2-secret}');
    const e = (() => {
      try {
        parseConfig(text, 'cfg.yaml');
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected error');
    })();
    expect(e.issues).toContainEqual({
      path: 'spec.sources[0].credentials.password',
      line: 8,
      message: 'inline secrets are not allowed: use passwordFrom: {env: NAME} or {file: PATH}',
    });
    expect(e.message).not.toContain('hunter2');
    const url = issuesOf(minimal.replace('http://git.local', 'https://user:hunter2@git.local'));
    expect(JSON.stringify(url)).not.toContain('hunter2');
    expect(url[0]?.message).toMatch(/must not contain credentials/);
  });

  it('checks names are unique and DNS labels, and that targetNamespace is allowed', () => {
    const text = `${minimal}    - name: apps
      source: repo
      targetNamespace: prod
      allowedNamespaces: [dev, Bad_NS]
`;
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [11, 'spec.syncs[1].name', 'duplicate name "apps" (also spec.syncs[0])'],
      [13, 'spec.syncs[1].targetNamespace', 'is not in allowedNamespaces'],
      [14, 'spec.syncs[1].allowedNamespaces[1]', 'must be a DNS label: lowercase letters, digits and "-", at most 63 characters'],
    ]);
  });

  it('validates refs, jitter, paths and decryption variants', () => {
    const text = `${head}spec:
  sources:
    - {name: a, url: "https://h/r.git", ref: {semver: ">=1.0.0 <2"}, jitter: "25%"}
    - {name: b, url: "https://h/r.git", ref: {commit: abc}}
    - {name: c, url: "ftp://h/r.git", ref: {semver: "not a range"}}
  syncs:
    - name: s
      source: a
      path: ../outside
      decryption:
        age: {identitiesFrom: [{secret: {namespace: ns, name: n, key: k}}, {env: AGE}]}
        vault: {address: "http://v:8200", auth: {token: {from: {env: VAULT_TOKEN}}}}
`;
    expect(issuesOf(text).map((i) => i.path)).toEqual([
      'spec.sources[1].ref.commit',
      'spec.sources[2].url',
      'spec.sources[2].ref.semver',
      'spec.syncs[0].path',
    ]);
    const ok = parseConfig(text.replace(/ {4}- \{name: b.*\n {4}- \{name: c.*\n/, '').replace('../outside', './deploy/'), 'cfg.yaml');
    expect(ok.spec.sources[0]?.jitterPercent).toBe(25);
    expect(ok.spec.syncs[0]?.path).toBe('deploy');
    expect(ok.spec.syncs[0]?.decryption).toEqual({
      age: { identitiesFrom: [{ secret: { namespace: 'ns', name: 'n', key: 'k' } }, { env: 'AGE' }] },
      vault: { address: 'http://v:8200', transitMount: 'transit', auth: { token: { from: { env: 'VAULT_TOKEN' } } } },
    });
  });

  it('reports the first YAML syntax error with line, column and a plain cause, never "(document)"', () => {
    expect(issuesOf(`${head}spec:\n  listen: a\n  listen: b\n`)).toEqual([
      { path: '', line: 5, column: 3, message: 'YAML syntax error: duplicate key "listen": each key may appear once in a mapping' },
    ]);
    expect(issuesOf(`${head}spec: [\n`)).toEqual([
      { path: '', line: 4, column: 1, message: 'YAML syntax error: wrong indentation, or an unclosed [ ] or { }' },
    ]);
    expect(issuesOf(`${head}spec:\n\tlisten: x\n`)).toEqual([
      { path: '', line: 4, column: 1, message: 'YAML syntax error: tabs are not allowed for indentation; use spaces' },
    ]);
    // Several errors from one mistake: only the first is reported, in words, not the library's token names.
    const cascade = `${head}spec:\n  - a\n  b: c\n`;
    expect(issuesOf(cascade)).toHaveLength(1);
    let message = '';
    try {
      parseConfig(`${head}spec:\n  listen: a: b\n  x: "s3cr3t\n`, 'cfg.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'cfg.yaml: line 4, column 11: YAML syntax error: a mapping where a single value was expected: a value followed by "key: value" on the same line, or a more indented line under a value',
    );
    expect(message).not.toMatch(/document|token|compact|s3cr3t/);
  });

  it('refuses a null path (an empty "path:") instead of applying the whole repository', () => {
    for (const empty of ['path:', 'path: ~', 'path: null']) {
      expect(issuesOf(minimal.replace('source: repo\n', `source: repo\n      ${empty}\n`))).toEqual([
        {
          path: 'spec.syncs[0].path',
          line: 11,
          message: 'is empty (null): write path: "." for the repository root, or the directory to apply',
        },
      ]);
    }
    for (const root of ['path: "."', 'path: ""', 'path: /', 'path: ./']) {
      expect(parseConfig(minimal.replace('source: repo\n', `source: repo\n      ${root}\n`), 'cfg.yaml').spec.syncs[0]?.path).toBe('');
    }
    expect(parseConfig(minimal, 'cfg.yaml').spec.syncs[0]?.path).toBe('');
  });

  it('an empty or comment-only file says so', () => {
    for (const text of ['', '# nothing yet\n', '---\n']) {
      expect(issuesOf(text)).toEqual([
        {
          path: '',
          message: 'is empty (or only comments): a DaemonConfig needs apiVersion: gitops-seal.io/v1alpha1, kind: DaemonConfig and spec',
        },
      ]);
    }
  });

  it('requires apiVersion, kind and spec', () => {
    expect(issuesOf('metadata: {name: x}\n').map((i) => i.path)).toEqual(['apiVersion', 'kind', 'spec']);
  });
});

describe('loadConfig', () => {
  it('resolves relative file paths against the config file directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const text = minimal.replace('ref: {branch: main}', 'ref: {branch: main}\n      credentials: {passwordFrom: {file: secrets/token}}');
    await writeFile(join(dir, 'config.yaml'), text);
    const c = await loadConfig(join(dir, 'config.yaml'));
    expect(c.spec.sources[0]?.credentials).toEqual({ passwordFrom: { file: join(dir, 'secrets/token') } });
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read config file: ENOENT/);
  });
});
