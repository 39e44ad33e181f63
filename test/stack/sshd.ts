// The stack's SSH git server: Debian's OpenSSH sshd (installed by build/openssh.sh) as a plain
// process on a loopback port, with its own sshd_config, generated host keys (ed25519, ECDSA,
// RSA) and an authorized_keys file that tests add keys to and remove them from. It serves the
// same bare repositories as the git http server: every key runs a forced command that accepts
// only git-upload-pack (a read key) or also git-receive-pack (a write key) and hands the request
// to git-shell, with `/<name>.git` mapped into the repositories directory.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, StackError, stopProcess, waitFor } from './procs.js';
import type { SshInfo, Started } from './types.js';

const SSHD = '/usr/sbin/sshd';
const GIT_SHELL = '/usr/bin/git-shell';

export class SshdError extends StackError {
  constructor(message: string, logFile?: string) {
    super('sshd', message, logFile);
    this.name = 'SshdError';
  }
}

/** The forced command of every key: `serve.sh read|write`, the request in $SSH_ORIGINAL_COMMAND. */
function serveScript(reposDir: string): string {
  return `#!/bin/sh
# Forced command of the stack's sshd (test/stack/sshd.ts): git over SSH only, read keys
# upload-pack only; '/<name>.git' is looked up in the repositories directory.
cd '${reposDir.replace(/'/g, `'\\''`)}' || exit 1
case "$SSH_ORIGINAL_COMMAND" in
  "git-upload-pack '"*) ;;
  "git-receive-pack '"*)
    if [ "$1" != write ]; then
      echo "ERROR: this deploy key is read-only: git-receive-pack is not allowed" >&2
      exit 1
    fi ;;
  *) echo "ERROR: only git-upload-pack and git-receive-pack are served here" >&2; exit 1 ;;
esac
cmd=$(printf '%s' "$SSH_ORIGINAL_COMMAND" | sed "s#^\\(git-[a-z-]*\\) '/*#\\1 '#")
exec ${GIT_SHELL} -c "$cmd"
`;
}

function keygen(args: string[]): void {
  try {
    execFileSync('ssh-keygen', ['-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new SshdError(`ssh-keygen ${args.join(' ')} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

/** Whether sshd answers with its banner (an SSH-2.0 line) on the port. */
function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(1000);
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString('latin1').startsWith('SSH-2.0-'));
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts sshd serving `reposDir` (the git http server's). `port` pins the port (a test that
 * kills and restarts sshd keeps its URLs); otherwise a free one is picked.
 */
/** A started sshd; `crash` SIGKILLs the listener and every connection it forked (a server dying mid-transfer). */
export interface StartedSshd extends Started<SshInfo> {
  crash(): Promise<void>;
  /**
   * SIGKILLs the processes below sshd whose command line matches (`/pack-objects/`: the server's
   * pack writer dying mid-pack, as it does first when the whole tree is killed); returns how many.
   */
  killServing(match: RegExp): number;
}

/** Every process below `pid` (from /proc), children first. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parent)
      if (pp === p) {
        walk(c);
        out.push(c);
      }
  };
  walk(pid);
  return out;
}

/**
 * `env`: more variables for every session (sshd's SetEnv; only its first line counts, so they join
 * SHLVL on one line). Values with spaces or quotes are refused (SetEnv would split or keep them).
 */
export async function startSshd(
  reposDir: string,
  opts: { port?: number; dir?: string; env?: Record<string, string> } = {},
): Promise<StartedSshd> {
  if (!existsSync(SSHD)) throw new SshdError(`${SSHD} not found: run test/stack/install.sh (apt-get install -y openssh-server)`);
  if (!existsSync(GIT_SHELL)) throw new SshdError(`${GIT_SHELL} not found: apt-get install -y git`);
  for (const [k, v] of Object.entries(opts.env ?? {}))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\s"']/.test(v))
      throw new SshdError(`startSshd env ${k}: sshd's SetEnv takes names of [A-Za-z0-9_] and values without spaces or quotes`);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gitops-seal-sshd-'));
  const user = userInfo().username;
  const port = opts.port ?? (await freePort());
  const hostKeys: string[] = [];
  for (const [type, bits] of [
    ['ed25519', []],
    ['ecdsa', ['-b', '256']],
    ['rsa', ['-b', '3072']],
  ] as const) {
    const file = join(dir, `ssh_host_${type}_key`);
    if (!existsSync(file)) keygen(['-t', type, ...bits, '-N', '', '-C', `gitops-seal-stack-${type}`, '-f', file]);
    hostKeys.push(file);
  }
  const knownHosts = hostKeys
    .map((f) => {
      const [type, b64] = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/);
      return `[127.0.0.1]:${port} ${type} ${b64}`;
    })
    .join('\n');
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `${knownHosts}\n`);
  const serve = join(dir, 'serve.sh');
  writeFileSync(serve, serveScript(reposDir), { mode: 0o755 });
  const authorizedKeys = join(dir, 'authorized_keys');
  if (!existsSync(authorizedKeys)) writeFileSync(authorizedKeys, '', { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeys.map((k) => `HostKey ${k}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      // The temp dir is ours (0700); the per-user home checks do not apply to it.
      'StrictModes no',
      'PermitUserEnvironment no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      'PrintMotd no',
      'PrintLastLog no',
      'UseDNS no',
      'PermitUserRC no',
      // The forced command runs through the login's shell; bash run by sshd with SHLVL unset
      // sources ~/.bashrc (seconds on a developer's machine). A real git host's login shell is
      // git-shell; this makes ours as cheap.
      ['SetEnv SHLVL=1', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)].join(' '),
      'MaxStartups 100:30:200',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  chmodSync(dir, 0o700);
  // sshd running as root insists on its privilege separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygenTest(config);
  const proc = startProcess('sshd', SSHD, ['-D', '-e', '-f', config], { logFile: join(dir, 'sshd.log') });
  await waitFor(`sshd on 127.0.0.1:${port}`, () => banner(port), { proc, timeoutMs: 20_000, intervalMs: 100 });
  const info: SshInfo = {
    host: '127.0.0.1',
    port,
    user,
    url: `ssh://${user}@127.0.0.1:${port}/`,
    reposDir,
    knownHosts: `${knownHosts}\n`,
    knownHostsFile,
    authorizedKeysFile: authorizedKeys,
    dir,
    logFile: proc.logFile,
  };
  return {
    info,
    crash: async () => {
      for (const p of [...descendants(proc.pid), proc.pid]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await proc.exited;
    },
    killServing: (match) => {
      let n = 0;
      for (const p of descendants(proc.pid)) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
          if (!match.test(cmd)) continue;
          process.kill(p, 'SIGKILL');
          n++;
        } catch {
          // Gone meanwhile.
        }
      }
      return n;
    },
    stop: async () => {
      await stopProcess(proc, 2000);
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `sshd -t`: a config sshd refuses fails here with its own words, not as a dead process later. */
function keygenTest(config: string): void {
  try {
    execFileSync(SSHD, ['-t', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new SshdError(`sshd -t rejected ${config}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
}

/** Lets `publicKey` (an OpenSSH public key line) read, or read and write, every repository. */
export function authorizeKey(info: SshInfo, publicKey: string, access: 'read' | 'write'): void {
  const [type, b64] = publicKey.trim().split(/\s+/);
  if (type === undefined || b64 === undefined) throw new SshdError(`not an OpenSSH public key: ${publicKey.slice(0, 40)}`);
  const line = `command="${join(info.dir, 'serve.sh')} ${access}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${type} ${b64} gitops-seal-test-${access}\n`;
  writeFileSync(info.authorizedKeysFile, line, { flag: 'a' });
}

/** Removes every authorized_keys line of `publicKey`: its next connection is refused. */
export function revokeKey(info: SshInfo, publicKey: string): void {
  const b64 = publicKey.trim().split(/\s+/)[1] ?? '';
  const kept = readFileSync(info.authorizedKeysFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.includes(` ${b64} `));
  writeFileSync(info.authorizedKeysFile, kept.map((l) => `${l}\n`).join(''));
}

/** `ssh://user@127.0.0.1:port/<name>.git` */
export function sshRepoUrl(info: SshInfo, name: string): string {
  return `${info.url}${name}.git`;
}
