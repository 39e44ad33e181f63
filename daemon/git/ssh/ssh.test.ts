import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, describeVerdict, fingerprint, knownKeyTypes } from './known-hosts.js';
import { isSshUrl, parseSshUrl, sshDisplay } from './url.js';

/** An ed25519 public key as an SSH wire blob. */
function blob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

describe('SSH urls', () => {
  it('parses ssh://, scp-like, ports, IPv6 and home-relative paths', () => {
    expect(parseSshUrl('ssh://git@github.com/org/repo.git')).toEqual({ user: 'git', host: 'github.com', port: 22, path: '/org/repo.git' });
    expect(parseSshUrl('ssh://host:2222/x.git')).toEqual({ user: 'git', host: 'host', port: 2222, path: '/x.git' });
    expect(parseSshUrl('deploy@[::1]:srv/x.git')).toEqual({ user: 'deploy', host: '::1', port: 22, path: 'srv/x.git' });
    expect(parseSshUrl('ssh://git@h/~alice/x.git')).toMatchObject({ path: '~alice/x.git' });
    expect(parseSshUrl('git@github.com:org/repo.git')).toEqual({ user: 'git', host: 'github.com', port: 22, path: 'org/repo.git' });
    expect(sshDisplay(parseSshUrl('git@github.com:org/repo.git') as never)).toBe('git@github.com:org/repo.git');
    expect(sshDisplay(parseSshUrl('ssh://git@h:2222/x.git') as never)).toBe('ssh://git@h:2222/x.git');
    expect(isSshUrl('https://github.com/org/repo.git')).toBe(false);
    expect(isSshUrl('C:\\repos\\x')).toBe(false);
    expect(isSshUrl('git@github.com:org/repo.git')).toBe(true);
  });
});

describe('known_hosts', () => {
  const key = blob();
  const b64 = key.toString('base64');
  it('plain, [host]:port, wildcard and negated patterns', () => {
    expect(checkHostKey(`github.com ssh-ed25519 ${b64}\n`, 'github.com', 22, key)).toEqual({ ok: true });
    expect(checkHostKey(`[git.example]:2222 ssh-ed25519 ${b64}\n`, 'git.example', 2222, key)).toEqual({ ok: true });
    // An entry without a port does not cover another port.
    expect(checkHostKey(`git.example ssh-ed25519 ${b64}\n`, 'git.example', 2222, key)).toMatchObject({ ok: false, why: 'unknown' });
    expect(checkHostKey(`*.example,!bad.example ssh-ed25519 ${b64}\n`, 'a.example', 22, key)).toEqual({ ok: true });
    expect(checkHostKey(`*.example,!bad.example ssh-ed25519 ${b64}\n`, 'bad.example', 22, key)).toMatchObject({
      ok: false,
      why: 'unknown',
    });
  });
  it('hashed entries (ssh-keygen -H)', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const h = createHmac('sha1', salt).update('[10.0.0.5]:2200').digest('base64');
    const line = `|1|${salt.toString('base64')}|${h} ssh-ed25519 ${b64}`;
    expect(checkHostKey(line, '10.0.0.5', 2200, key)).toEqual({ ok: true });
    expect(checkHostKey(line, '10.0.0.6', 2200, key)).toMatchObject({ ok: false, why: 'unknown' });
  });
  it('changed and @revoked keys are refused with the fingerprint seen', () => {
    const other = blob();
    const v = checkHostKey(`h ssh-ed25519 ${other.toString('base64')}\n`, 'h', 22, key);
    expect(v).toEqual({ ok: false, why: 'changed', fingerprint: fingerprint(key), keyType: 'ssh-ed25519', hostString: 'h' });
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(checkHostKey(`h ssh-ed25519 ${b64}\n@revoked h ssh-ed25519 ${b64}\n`, 'h', 22, key)).toMatchObject({
      ok: false,
      why: 'revoked',
    });
  });
  it('comments, blank lines, trailing comments and @cert-authority lines as ssh-keyscan and admins write them', () => {
    const ca = blob().toString('base64');
    const text = `# fleet hosts\n\n   # indented\n@cert-authority *.example ssh-ed25519 ${ca} our CA\n[git.example]:2222 ssh-ed25519 ${b64} added 2026-12-06\n`;
    expect(checkHostKey(text, 'git.example', 2222, key)).toEqual({ ok: true });
    // Only a @cert-authority line for the host: refused, saying host certificates are not supported.
    const v = checkHostKey(text, 'other.example', 22, key);
    expect(v).toMatchObject({ ok: false, why: 'unknown', certAuthority: true });
    expect(describeVerdict(v as Exclude<typeof v, { ok: true }>)).toMatch(
      /@cert-authority line names this host, but host certificates are not supported/,
    );
    const plain = checkHostKey(text, 'elsewhere.org', 22, key);
    expect(plain).not.toHaveProperty('certAuthority');
    expect(describeVerdict(plain as Exclude<typeof plain, { ok: true }>)).not.toMatch(/cert/);
  });

  it('names the key types to negotiate, in file order', () => {
    expect(knownKeyTypes(`h ssh-rsa AAAA\nh ssh-ed25519 ${b64}\nother ecdsa-sha2-nistp256 AAAA\n`, 'h', 22)).toEqual([
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
});
