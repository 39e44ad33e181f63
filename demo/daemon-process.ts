// The daemon as a real child process (`gitops-seal-daemon --config examples/daemon-config.yaml`),
// exactly as a user runs it: configured by environment variables that the config file expands,
// JSON logs to a file (not the terminal), stopped by PID with SIGTERM (then SIGKILL). Started
// the way every test starts it (test/support/daemon-process.ts); this file adds the demo's config
// and says what went wrong the demo's way.
import { join } from 'node:path';
import { startDaemonProcess } from '../test/support/daemon-process.js';
import { DemoError, ROOT } from './exec.js';

export const DEMO_CONFIG = join(ROOT, 'examples', 'daemon-config.yaml');

export interface DaemonProcess {
  pid: number;
  url: string;
  logFile: string;
  /** Last lines of the daemon's log, for failure messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startDaemon(opts: {
  env: Record<string, string>;
  dataDir: string;
  logFile: string;
  listen: string;
}): Promise<DaemonProcess> {
  const url = `http://${opts.listen}`;
  try {
    const d = await startDaemonProcess({
      name: 'demo-daemon',
      args: ['--config', DEMO_CONFIG, '--data-dir', opts.dataDir],
      env: { ...process.env, ...opts.env },
      logFile: opts.logFile,
      ready: { url, path: '/healthz', timeoutMs: 60_000 },
    });
    return { pid: d.pid, url, logFile: d.logFile, tail: (lines = 30) => d.tail(lines), stop: () => d.stop(5000) };
  } catch (err) {
    throw new DemoError(`the daemon did not come up (log ${opts.logFile}): ${err instanceof Error ? err.message : String(err)}`);
  }
}
