import { describe, expect, it } from 'vitest';
import { Issues } from './fields.js';
import { readSource } from './parse-source.js';

function read(value: object): { spec: ReturnType<typeof readSource>; issues: string[] } {
  const issues = new Issues();
  const spec = readSource({ issues, baseDir: '/etc/seal' }, 'spec.sources[0]', { name: 'repo', ref: { branch: 'main' }, ...value });
  return { spec, issues: issues.list.map((i) => `${i.path}: ${i.message}`) };
}

describe('sources[].ssh', () => {
  it('an ssh:// url with a key and known_hosts (files resolved against the config dir)', () => {
    const { spec, issues } = read({
      url: 'ssh://git@github.com/org/fleet.git',
      ssh: { privateKeyFrom: { file: 'deploy-key' }, passphraseFrom: { env: 'KEY_PASS' }, knownHostsFrom: { file: 'known_hosts' } },
    });
    expect(issues).toEqual([]);
    expect(spec?.ssh).toEqual({
      privateKeyFrom: { file: '/etc/seal/deploy-key' },
      passphraseFrom: { env: 'KEY_PASS' },
      knownHostsFrom: { file: '/etc/seal/known_hosts' },
    });
  });

  it('the key, passphrase and known_hosts from Kubernetes Secret keys', () => {
    const sec = (key: string) => ({ secret: { namespace: 'gitops-seal-system', name: 'deploy-key', key } });
    const { spec, issues } = read({
      url: 'git@github.com:org/fleet.git',
      ssh: { privateKeyFrom: sec('identity'), passphraseFrom: sec('passphrase'), knownHostsFrom: sec('known_hosts') },
    });
    expect(issues).toEqual([]);
    expect(spec?.ssh).toEqual({ privateKeyFrom: sec('identity'), passphraseFrom: sec('passphrase'), knownHostsFrom: sec('known_hosts') });
    expect(
      read({
        url: 'git@h:r.git',
        ssh: { privateKeyFrom: { secret: { name: 'k', key: 'id' } }, knownHostsFrom: { env: 'H' } },
      }).issues.join(),
    ).toMatch(/privateKeyFrom\.secret\.namespace: is required/);
  });

  it('the scp-like form and a port', () => {
    for (const url of ['git@gitlab.example.com:group/sub/repo.git', 'ssh://deploy@[::1]:2222/srv/git/x.git']) {
      const { spec, issues } = read({ url, ssh: { privateKeyFrom: { env: 'K' }, knownHostsFrom: { env: 'H' } } });
      expect(issues).toEqual([]);
      expect(spec?.url).toBe(url);
    }
  });

  it('no known_hosts: refused unless the explicit opt-out is written', () => {
    expect(read({ url: 'git@h:r.git', ssh: { privateKeyFrom: { env: 'K' } } }).issues.join()).toMatch(
      /knownHostsFrom: is required: the host key is always checked/,
    );
    const { spec, issues } = read({ url: 'git@h:r.git', ssh: { privateKeyFrom: { env: 'K' }, insecureIgnoreHostKey: true } });
    expect(issues).toEqual([]);
    expect(spec?.ssh).toEqual({ privateKeyFrom: { env: 'K' }, insecureIgnoreHostKey: true });
    expect(
      read({
        url: 'git@h:r.git',
        ssh: { privateKeyFrom: { env: 'K' }, knownHostsFrom: { env: 'H' }, insecureIgnoreHostKey: true },
      }).issues.join(),
    ).toMatch(/contradicts/);
  });

  it('mismatches: ssh url without ssh, ssh block on https, inline key, password in the url', () => {
    expect(read({ url: 'ssh://git@h/r.git' }).issues.join()).toMatch(/ssh: is required for an SSH url/);
    expect(read({ url: 'https://h/r.git', ssh: { privateKeyFrom: { env: 'K' }, knownHostsFrom: { env: 'H' } } }).issues.join()).toMatch(
      /only for ssh/,
    );
    expect(read({ url: 'ssh://git@h/r.git', ssh: { privateKey: '-----BEGIN', knownHostsFrom: { env: 'H' } } }).issues.join()).toMatch(
      /inline secrets are not allowed/,
    );
    expect(
      read({ url: 'ssh://git:pw@h/r.git', ssh: { privateKeyFrom: { env: 'K' }, knownHostsFrom: { env: 'H' } } }).issues.join(),
    ).toMatch(/must not carry a password/);
    expect(read({ url: 'ssh://git@h/', ssh: { privateKeyFrom: { env: 'K' }, knownHostsFrom: { env: 'H' } } }).issues.join()).toMatch(
      /names no repository path/,
    );
  });
});
