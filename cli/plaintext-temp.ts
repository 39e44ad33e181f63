// A short-lived plaintext file for `edit`: 0600 inside a 0700 directory on a RAM-backed
// filesystem when there is one (/dev/shm), so the plaintext never reaches a disk, and removed in
// every case: normal return, thrown error, and SIGTERM/SIGHUP (re-raised after cleanup).
import { mkdtempSync, rmSync, statSync, accessSync, constants as fsc } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

export const TEMP_PREFIX = 'gitops-seal-edit-';

/** /dev/shm when present and writable, else the OS temp dir; GITOPS_SEAL_TMPDIR overrides. */
export function ramTempRoot(env: NodeJS.ProcessEnv): string {
  const override = env['GITOPS_SEAL_TMPDIR'];
  if (override) return override;
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', fsc.W_OK);
      return '/dev/shm';
    }
  } catch {
    /* not available */
  }
  return tmpdir();
}

const TERMINATING: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/**
 * Run `fn` with the path of a temp file holding `content`. `name` keeps the original file name
 * so editors pick the right syntax mode.
 */
export async function withPlaintextTemp<T>(
  root: string,
  name: string,
  content: string,
  fn: (path: string, track: (child: ChildProcess) => void) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(root, TEMP_PREFIX));
  const file = join(dir, basename(name));
  const cleanup = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  const children = new Set<ChildProcess>();
  const track = (child: ChildProcess): void => {
    children.add(child);
    child.once('exit', () => children.delete(child));
  };
  let dying = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (dying) return;
    dying = true;
    // Stop the editor first and give it a moment to exit, so it cannot write the plaintext
    // (or a swap file) back into the directory after we removed it.
    void Promise.all([...children].map((c) => stopChild(c, signal))).finally(() => {
      cleanup();
      removeHandlers();
      process.kill(process.pid, signal);
    });
  };
  // Ctrl-C reaches the editor too (same process group); the editor decides what it means, and
  // its exit status tells us. Without a listener Node would die and skip `finally`.
  const onInterrupt = (): void => undefined;
  const removeHandlers = (): void => {
    for (const s of TERMINATING) process.removeListener(s, onSignal);
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('exit', cleanup);
  };
  for (const s of TERMINATING) process.on(s, onSignal);
  process.on('SIGINT', onInterrupt);
  process.on('exit', cleanup);
  try {
    await fsp.writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return await fn(file, track);
  } finally {
    cleanup();
    removeHandlers();
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
