// SSH fixtures of the integration tests: key pairs made by the real ssh-keygen (held in memory;
// the files are removed at once), and the stack's sshd — the shared stack's when its info lists
// one and it serves the same repositories, else one started for the test file (test/stack/sshd.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from '../stack/sshd.js';
import type { SshInfo } from '../stack/types.js';

export interface TestKey {
  /** OpenSSH private key text. */
  privateKey: string;
  /** `type base64 comment` */
  publicKey: string;
  passphrase?: string;
}

/** A fresh key pair from ssh-keygen (`-t ed25519|ecdsa|rsa`), optionally passphrase-protected. */
export function newSshKey(type: 'ed25519' | 'ecdsa' | 'rsa', passphrase?: string): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-key-'));
  try {
    const file = join(dir, 'id');
    const bits = type === 'rsa' ? ['-b', '3072'] : type === 'ecdsa' ? ['-b', '256'] : [];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase ?? '', '-C', `test-${type}`, '-f', file], { stdio: 'ignore' });
    return {
      privateKey: readFileSync(file, 'utf8'),
      publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
      ...(passphrase !== undefined ? { passphrase } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An sshd serving `reposDir`: the shared stack's if it serves those repos, else a new one. */
export async function sshdFor(reposDir: string, shared?: SshInfo): Promise<{ info: SshInfo; stop(): Promise<void> }> {
  if (shared !== undefined && shared.reposDir === reposDir) return { info: shared, stop: async () => undefined };
  return startSshd(reposDir);
}
