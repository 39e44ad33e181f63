// Starting and stopping the stack's server processes. Every child is tracked by PID so that
// the global teardown (and Ctrl-C / uncaught errors) kill exactly what we started, nothing else.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited (code or signal). */
  exited: Promise<void>;
}

const running = new Map<number, Proc>();
let logDirCache: string | undefined;

/** One temp dir per run for every server log; printed when a test fails. */
export function logDir(): string {
  if (!logDirCache) {
    logDirCache = process.env.GITOPS_SEAL_STACK_LOGS ?? mkdtempSync(join(tmpdir(), 'gitops-seal-stack-'));
  }
  return logDirCache;
}

export class StackError extends Error {
  constructor(
    component: string,
    message: string,
    readonly logFile?: string,
  ) {
    super(`[stack:${component}] ${message}${logFile ? ` (log: ${logFile})` : ''}`);
    this.name = 'StackError';
  }
}

/** Spawn a long-running server; stdout and stderr go to <logDir>/<name>.log (or `logFile`). */
export function startProcess(name: string, cmd: string, args: string[], opts: SpawnOptions & { logFile?: string } = {}): Proc {
  const { logFile = join(logDir(), `${name}.log`), ...spawnOpts } = opts;
  const out = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  if (child.pid === undefined) throw new StackError(name, `could not start ${cmd}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: Proc = { name, pid: child.pid, child, logFile, exited };
  running.set(child.pid, proc);
  void exited.then(() => running.delete(proc.pid));
  // The stack must not keep the test runner alive on its own.
  child.unref();
  return proc;
}

/** SIGTERM, then SIGKILL after graceMs; kills the whole process group the child leads. */
export async function stopProcess(proc: Proc, graceMs = 5000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  signalGroup(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc.pid, 'SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running.values()].reverse().map((p) => stopProcess(p)));
}

/** Synchronous last resort for process 'exit': SIGKILL every child we still track. */
export function killAllSync(): void {
  for (const p of running.values()) signalGroup(p.pid, 'SIGKILL');
}

export function tailLog(proc: Proc, lines = 40): string {
  if (!existsSync(proc.logFile)) return '';
  return readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * A free TCP port on 127.0.0.1, chosen below the kernel's ephemeral range. Why not `listen(0)`:
 * the OS then hands out a port from the same range it uses for the local end of every outgoing
 * connection, so between our probe and the server's own bind an outgoing connection (etcd's
 * clients, a fetch) can take it — CI once lost a whole run to "kube-apiserver: bind: address
 * already in use". Below the ephemeral range only listeners compete, and we probe for those.
 */
export async function freePort(): Promise<number> {
  const [low, high] = portWindow();
  for (let tries = 0; tries < 200; tries++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new StackError('stack', `no free port found in ${low}–${high}`);
}

const handedOut = new Set<number>();

/** [first, last) ports to choose from: 10000 up to the start of the ephemeral range (at most 32768). */
function portWindow(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 12000) ephemeralLow = Math.min(first, 32768);
  } catch {
    /* not Linux: keep the IANA default */
  }
  return [10000, ephemeralLow];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Run a server's start again (up to `tries` times) when it failed only because its port was
 * taken between our probe and its bind — another test process can probe the same port. Each
 * attempt picks its own ports; anything else fails at once.
 */
export async function retryPortClash<T>(start: (attempt: number) => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt + 1 >= tries || !/address already in use/i.test(String(err))) throw err;
    }
  }
}

/** Poll `check` until it returns true; fail with the process log tail if the process dies or time runs out. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; proc?: Proc } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (opts.proc && (opts.proc.child.exitCode !== null || opts.proc.child.signalCode !== null)) {
      throw new StackError(opts.proc.name, `exited while waiting for ${what}:\n${tailLog(opts.proc)}`, opts.proc.logFile);
    }
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      throw new StackError(opts.proc?.name ?? 'stack', `timed out waiting for ${what}`, opts.proc?.logFile);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllSync();
    process.exit(130);
  });
}
process.once('exit', killAllSync);
