// The one way tests and the demo start the daemon:
//   - in-process (`startDaemon`): the Daemon class on a config object, its JSON log captured in
//     memory — fast, and the test can reach into the running daemon;
//   - as a child process (`startDaemonProcess`): daemon/main.ts exactly as `gitops-seal-daemon`
//     runs in production (its flags, its environment, its own process group), output to a log
//     file, started through test/stack/procs.ts so that it is killed by PID at the end, also when
//     a test fails or the demo dies.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { parseConfig } from '../../daemon/config/index.js';
import { Daemon, type DaemonOptions } from '../../daemon/daemon.js';
import { createLogger } from '../../daemon/log.js';
import { startProcess, stopProcess, waitFor, type Proc } from '../stack/procs.js';
import { findRenderer } from '../stack/tools.js';
import { TextCapture } from './text-capture.js';
import { ensureUiBundle } from './ui-bundle.js';

/** The repository root: daemon/main.ts is found from here, whatever the cwd. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningDaemon {
  daemon: Daemon;
  logs: TextCapture;
  dataDir: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts the daemon in-process on a config object (Kubernetes-style YAML is rendered and parsed like a file). */
export async function startDaemon(
  config: object,
  opts: {
    dataDir?: string;
    start?: boolean;
    daemon?: Partial<Pick<DaemonOptions, 'homeNamespace' | 'inventoryNamespace' | 'leaderElectionKube' | 'listen'>>;
  } = {},
): Promise<RunningDaemon> {
  const parsed = parseConfig(stringify(config), 'e2e-config.yaml');
  // The web page's script (daemon/ui): built from source once per test process.
  await ensureUiBundle();
  const logs = new TextCapture();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gitops-seal-data-'));
  const daemon = new Daemon(parsed, {
    dataDir,
    log: createLogger({ destination: logs, level: 'debug' }),
    listen: '127.0.0.1:0',
    rendererEnv: { ...stackRenderers(), ...process.env },
    ...opts.daemon,
  });
  await daemon.init();
  if (opts.start !== false) await daemon.start();
  return { daemon, logs, dataDir, url: daemon.url ?? '', stop: () => daemon.stop() };
}

/**
 * How the child runs daemon/main.ts: `tsx` from source (the loader pinned to this checkout, so
 * any cwd works), or `bundle`: bundled once per test process with esbuild, which starts with
 * about a third of the CPU of tsx — for tests that restart the daemon many times on a 2-core
 * machine. Same sources as dist/, no type-check either way.
 */
export type DaemonRunner = 'tsx' | 'bundle';

let bundled: Promise<string> | undefined;

function daemonBundle(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    // Packages stay external and resolve from node_modules, which is why the bundle lives under it.
    const parent = join(ROOT, 'node_modules', '.cache');
    mkdirSync(parent, { recursive: true });
    const outfile = join(mkdtempSync(join(parent, 'gitops-seal-daemon-')), 'daemon.mjs');
    await build({
      entryPoints: [join(ROOT, 'daemon', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}

async function entryArgs(runner: DaemonRunner): Promise<string[]> {
  if (runner === 'bundle') return [await daemonBundle()];
  const loader = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
  return ['--import', loader, join(ROOT, 'daemon', 'main.ts')];
}

export interface DaemonProcessOptions {
  /** The process's name in failure messages; its log is <stack log dir>/<name>.log unless `logFile`. */
  name: string;
  /** gitops-seal-daemon's flags (--config, --data-dir, --listen, --leader-elect, …). */
  args: string[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (appended, mode 0600). */
  logFile?: string;
  runner?: DaemonRunner;
  /** Resolve once `url` + `path` answers 2xx (fail with the log's tail if the child exits first). */
  ready?: { url: string; path: '/healthz' | '/status'; timeoutMs?: number; intervalMs?: number };
}

export interface DaemonProcess {
  name: string;
  proc: Proc;
  pid: number;
  logFile: string;
  alive(): boolean;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** The last `lines` lines of its output. */
  tail(lines?: number): string;
  /** Its JSON log lines (lines that are not JSON are skipped). */
  logLines(): Record<string, unknown>[];
  /** SIGKILL to its process group: no shutdown handler runs, whatever was in flight is cut. */
  kill(): Promise<void>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** GITOPS_SEAL_KUSTOMIZE / GITOPS_SEAL_HELM of the stack's cached builds, those that are built. */
function stackRenderers(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, variable] of [
    ['kustomize', 'GITOPS_SEAL_KUSTOMIZE'],
    ['helm', 'GITOPS_SEAL_HELM'],
  ] as const) {
    try {
      env[variable] = findRenderer(name);
    } catch {
      // Not built here: a render sync is refused naming the variable, as in production.
    }
  }
  return env;
}

export async function startDaemonProcess(opts: DaemonProcessOptions): Promise<DaemonProcess> {
  // The web page's script, as dist/ has it in the image (the caller's env wins).
  const uiBundle = await ensureUiBundle();
  const proc = startProcess(opts.name, process.execPath, [...(await entryArgs(opts.runner ?? 'tsx')), ...opts.args], {
    cwd: ROOT,
    // The stack's renderer builds, where the image has them on PATH (the caller's env wins).
    env: { ...stackRenderers(), GITOPS_SEAL_UI_BUNDLE: uiBundle, ...(opts.env ?? process.env) },
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
  });
  const alive = (): boolean => proc.child.exitCode === null && proc.child.signalCode === null;
  const output = (): string => {
    try {
      return readFileSync(proc.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const d: DaemonProcess = {
    name: opts.name,
    proc,
    pid: proc.pid,
    logFile: proc.logFile,
    alive,
    output,
    tail: (lines = 40) => output().trimEnd().split('\n').slice(-lines).join('\n'),
    logLines: () =>
      output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    kill: async () => {
      if (!alive()) return;
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        proc.child.kill('SIGKILL');
      }
      await proc.exited;
    },
    stop: (graceMs = 5000) => stopProcess(proc, graceMs),
  };
  if (opts.ready) {
    const { url, path, timeoutMs = 60_000, intervalMs = 250 } = opts.ready;
    try {
      await waitFor(`${opts.name} ${path}`, async () => (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) })).ok, {
        proc,
        timeoutMs,
        intervalMs,
      });
    } catch (err) {
      await d.stop();
      throw err;
    }
  }
  return d;
}
