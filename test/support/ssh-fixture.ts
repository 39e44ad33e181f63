// SSH fixtures of the integration tests: key pairs made by the real ssh-keygen (held in memory;
// the files are removed at once), and the stack's git server and sshd — the shared stack's
// (global setup starts sshd with the rest), else ones started for the test file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { startGitServer } from '../stack/gitserver.js';
import { authorizeKey, revokeKey, startSshd } from '../stack/sshd.js';
import type { GitInfo, SshInfo } from '../stack/types.js';

export interface TestKey {
  /** OpenSSH private key text. */
  privateKey: string;
  /** `type base64 comment` */
  publicKey: string;
  passphrase?: string;
}

/**
 * A fresh key pair from ssh-keygen (`-t ed25519|ecdsa|rsa`), optionally passphrase-protected;
 * `format` is ssh-keygen's `-m` (default OpenSSH; PEM and PKCS8 for RSA and ECDSA).
 */
export function newSshKey(type: 'ed25519' | 'ecdsa' | 'rsa', passphrase?: string, format?: 'PEM' | 'PKCS8'): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-key-'));
  try {
    const file = join(dir, 'id');
    const bits = type === 'rsa' ? ['-b', '3072'] : type === 'ecdsa' ? ['-b', '256'] : [];
    const m = format !== undefined ? ['-m', format] : [];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, ...m, '-N', passphrase ?? '', '-C', `test-${type}`, '-f', file], {
      stdio: 'ignore',
    });
    return {
      privateKey: readFileSync(file, 'utf8'),
      publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
      ...(passphrase !== undefined ? { passphrase } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The git server and sshd a test file uses; `repo` makes a name unique on a shared server. */
export interface SshStack {
  git: GitInfo;
  ssh: SshInfo;
  /** Whether these are the shared stack's (global setup's) rather than the file's own. */
  shared: boolean;
  repo(base: string): string;
  /** authorizeKey, undone after the file (the shared authorized_keys does not grow run after run). */
  authorize(publicKey: string, access: 'read' | 'write'): void;
}

/**
 * The shared stack's git server and sshd (global setup starts both, serving the same
 * repositories), filled in by a beforeAll. Only a stack description without sshd (one started
 * before sshd joined the stack) makes the file start a git server and an sshd of its own.
 */
export function useSshStack(): SshStack {
  const sfx = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const keys: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const s: SshStack = {
    git: undefined as unknown as GitInfo,
    ssh: undefined as unknown as SshInfo,
    shared: false,
    repo: (base) => `${base}-${sfx}`,
    authorize: (publicKey, access) => {
      authorizeKey(s.ssh, publicKey, access);
      keys.push(publicKey);
    },
  };
  beforeAll(async () => {
    const stack = inject('stack');
    if (stack.ssh !== undefined && stack.ssh.reposDir === stack.git.reposDir) {
      Object.assign(s, { git: stack.git, ssh: stack.ssh, shared: true });
      return;
    }
    const git = await startGitServer();
    stops.unshift(git.stop);
    const sshd = await startSshd(git.info.reposDir);
    stops.unshift(sshd.stop);
    Object.assign(s, { git: git.info, ssh: sshd.info });
  });
  afterAll(async () => {
    if (s.ssh !== undefined) for (const k of keys) revokeKey(s.ssh, k);
    for (const stop of stops) await stop();
  });
  return s;
}
