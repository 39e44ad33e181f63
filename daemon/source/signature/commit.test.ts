// SSH commit signatures made by the real git + ssh-keygen, checked by our verifier and, as the
// reference, by `git verify-commit` with the same allowed-signers file.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedSigners } from './allowed-signers.js';
import { CommitSignatureError, splitSignedCommit, verifyCommitSignature } from './commit.js';

let dir: string;
let repo: string;
const keys: Record<string, { priv: string; pub: string }> = {};

function sh(cmd: string, args: string[], cwd = repo): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } });
}

function commitWith(key: string | null, file: string, content: string): string {
  writeFileSync(join(repo, file), content);
  sh('git', ['add', file]);
  const sign = key === null ? [] : ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${keys[key]!.priv}`];
  sh('git', [...sign, 'commit', ...(key === null ? [] : ['-S']), '-q', '-m', `change ${file}`]);
  return sh('git', ['rev-parse', 'HEAD']).trim();
}

function raw(commit: string): Buffer {
  return execFileSync('git', ['cat-file', 'commit', commit], { cwd: repo });
}

function gitVerifies(commit: string, signersFile: string): boolean {
  const r = spawnSync('git', ['-c', `gpg.ssh.allowedSignersFile=${signersFile}`, 'verify-commit', commit], {
    cwd: repo,
    env: { ...process.env, HOME: dir },
  });
  return r.status === 0;
}

function signersLine(principal: string, key: string, opts = ''): string {
  const [type, b64] = keys[key]!.pub.trim().split(' ');
  return `${principal} ${opts ? `${opts} ` : ''}${type} ${b64}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sshsig-'));
  repo = join(dir, 'repo');
  for (const [name, args] of Object.entries({
    ed: ['-t', 'ed25519'],
    rsa: ['-t', 'rsa', '-b', '2048'],
    ec: ['-t', 'ecdsa', '-b', '256'],
    ec384: ['-t', 'ecdsa', '-b', '384'],
    other: ['-t', 'ed25519'],
  })) {
    const priv = join(dir, `id_${name}`);
    execFileSync('ssh-keygen', [...args, '-N', '', '-q', '-C', `${name}@test`, '-f', priv]);
    keys[name] = { priv, pub: readFileSync(`${priv}.pub`, 'utf8') };
  }
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  sh('git', ['config', 'user.name', 'Test']);
  sh('git', ['config', 'user.email', 'test@example.com']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verifyCommitSignature with real ssh-keygen signatures', () => {
  it.each(['ed', 'rsa', 'ec', 'ec384'])('accepts a good %s signature from an allowed signer (as git does)', (k) => {
    const c = commitWith(k, `f-${k}.yaml`, `k: ${k}\n`);
    const signers = `${signersLine('test@example.com', k)}\n`;
    const file = join(dir, `allowed-${k}`);
    writeFileSync(file, signers);
    expect(gitVerifies(c, file)).toBe(true);
    const v = verifyCommitSignature(c, raw(c), signers);
    expect(v.principals).toEqual(['test@example.com']);
    expect(v.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('rejects a key that is not in the allowed signers', () => {
    const c = commitWith('other', 'unknown.yaml', 'x: 1\n');
    const signers = `${signersLine('test@example.com', 'ed')}\n`;
    writeFileSync(join(dir, 'allowed-unknown'), signers);
    expect(gitVerifies(c, join(dir, 'allowed-unknown'))).toBe(false);
    expect(() => verifyCommitSignature(c, raw(c), signers)).toThrow(expect.objectContaining({ failure: 'unknown-key' }));
  });

  it('rejects an unsigned commit', () => {
    const c = commitWith(null, 'unsigned.yaml', 'x: 2\n');
    expect(() => verifyCommitSignature(c, raw(c), signersLine('a', 'ed'))).toThrow(expect.objectContaining({ failure: 'unsigned' }));
  });

  it('rejects a tampered commit (one byte of the message or tree changed)', () => {
    const c = commitWith('ed', 'tamper.yaml', 'x: 3\n');
    const signers = signersLine('test@example.com', 'ed');
    const good = raw(c);
    const msg = Buffer.from(good.toString('utf8').replace('change tamper.yaml', 'change tamper.yamL'));
    expect(() => verifyCommitSignature(c, msg, signers)).toThrow(expect.objectContaining({ failure: 'bad-signature' }));
    const tree = Buffer.from(good.toString('utf8').replace(/^tree ([0-9a-f])/, (_m, ch: string) => `tree ${ch === '0' ? '1' : '0'}`));
    expect(() => verifyCommitSignature(c, tree, signers)).toThrow(CommitSignatureError);
  });

  it('honours namespaces and validity options of the allowed-signers line', () => {
    const c = commitWith('ed', 'opts.yaml', 'x: 4\n');
    const r = raw(c);
    expect(() => verifyCommitSignature(c, r, signersLine('p', 'ed', 'namespaces="file"'))).toThrow(
      expect.objectContaining({ failure: 'unknown-key' }),
    );
    expect(verifyCommitSignature(c, r, signersLine('p', 'ed', 'namespaces="file,git"')).principals).toEqual(['p']);
    expect(() => verifyCommitSignature(c, r, signersLine('p', 'ed', 'valid-before="20000101Z"'))).toThrow(
      expect.objectContaining({ failure: 'unknown-key' }),
    );
    expect(() => verifyCommitSignature(c, r, signersLine('p', 'ed', 'valid-after="29990101"'))).toThrow(
      expect.objectContaining({ failure: 'unknown-key' }),
    );
    expect(() => verifyCommitSignature(c, r, signersLine('p', 'ed', 'cert-authority'))).toThrow(
      expect.objectContaining({ failure: 'unknown-key' }),
    );
  });

  it('splits payload exactly as git does (payload re-signed by ssh-keygen verifies with ssh-keygen)', () => {
    const c = commitWith('ed', 'split.yaml', 'x: 5\n');
    const parts = splitSignedCommit(raw(c));
    expect(parts.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n[\s\S]+\n-----END SSH SIGNATURE-----$/);
    const sigFile = join(dir, 'split.sig');
    writeFileSync(sigFile, `${parts.signature}\n`);
    writeFileSync(join(dir, 'allowed-split'), signersLine('test@example.com', 'ed'));
    const r = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', join(dir, 'allowed-split'), '-I', 'test@example.com', '-n', 'git', '-s', sigFile],
      { input: parts.payload },
    );
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(parts.payload.toString()).not.toContain('gpgsig');
  });

  it('parses allowed-signers files with comments, options and several principals', () => {
    const text = `# team\n\n${signersLine('a@x,b@x', 'ed')} comment here\n${signersLine('"c@x"', 'rsa', 'namespaces="git",valid-after="20200101"')}\n`;
    const s = parseAllowedSigners(text);
    expect(s.map((e) => e.principals)).toEqual([['a@x', 'b@x'], ['c@x']]);
    expect(s[1]?.namespaces).toBe('git');
    expect(() => parseAllowedSigners('p ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQABAAABAQ==')).toThrow(/does not match key type/);
  });
});
