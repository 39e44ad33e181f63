// The daemon as a real child process (`gitops-seal-daemon --config examples/daemon-config.yaml`),
// exactly as a user runs it: configured by environment variables that the config file expands,
// JSON logs to a file (not the terminal), stopped by PID with SIGTERM (then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoError, ROOT, tsArgs, until } from './exec.js';

export const DEMO_CONFIG = join(ROOT, 'examples', 'daemon-config.yaml');

export interface DaemonProcess {
  pid: number;
  url: string;
  logFile: string;
  /** Last lines of the daemon's log, for failure messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort when the demo exits without stopping it (an uncaught error): never leave it behind.
process.once('exit', () => {
  for (const c of live) if (c.pid !== undefined) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});

export async function startDaemon(opts: { env: Record<string, string>; dataDir: string; logFile: string; listen: string }): Promise<DaemonProcess> {
  const fd = openSync(opts.logFile, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [...tsArgs('daemon/main.ts'), '--config', DEMO_CONFIG, '--data-dir', opts.dataDir],
    // Own process group: a Ctrl-C in the terminal reaches the demo, which stops the daemon itself.
    { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  if (child.pid === undefined) throw new DemoError('could not start the daemon');
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const url = `http://${opts.listen}`;
  const tail = (lines = 30): string =>
    existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await until(
      'the daemon to answer /healthz',
      async () => {
        if (child.exitCode !== null) throw new DemoError(`the daemon exited with code ${child.exitCode}:\n${tail(15)}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      60_000,
    );
  } catch (err) {
    await stop();
    throw err instanceof DemoError && child.exitCode !== null ? new DemoError(`the daemon exited with code ${child.exitCode}; log ${opts.logFile}:\n${tail(15)}`) : err;
  }
  return { pid: child.pid, url, logFile: opts.logFile, tail, stop };
}
