// Running a renderer (kustomize, helm) as a child process under the rules every render obeys:
// - a clean environment: nothing of the daemon's is inherited (no cloud/Vault/Git credentials,
//   no KUBECONFIG); HOME, XDG dirs, TMPDIR and KUBECONFIG point into the render's scratch dir,
//   so whatever the tool caches or writes lands in memory-backed scratch that is removed after;
// - a timeout that kills the whole process group (a tool's own children included);
// - a cap on stdout (a runaway generator must not exhaust the daemon's memory);
// - stderr captured and redacted (every secret the caller names, in plain, URL and base64
//   form) before it can reach an error, a log line, status or an Event.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { redact } from '../git/index.js';

/** Why a tool run failed; status and metrics branch on this word. */
export type RenderToolFailure = 'spawn' | 'exit' | 'timeout' | 'output-limit';

export interface ToolRun {
  /** Sync the render is for: every error names it. */
  sync: string;
  /** What is being rendered, repo-relative (a kustomization dir, a chart path): errors name it. */
  subject: string;
  /** Short tool name for messages: `kustomize`, `helm`. */
  tool: string;
  /** Absolute path of the executable. */
  bin: string;
  args: readonly string[];
  cwd: string;
  /** The render's scratch dir: HOME, XDG_*, TMPDIR and KUBECONFIG point inside it. */
  scratch: string;
  /** Extra variables the tool needs (e.g. a chart repository's credentials); nothing else is passed. */
  env?: Readonly<Record<string, string>>;
  stdin?: Uint8Array;
  /**
   * Bytes for descriptors 3, 4, … in order, each written and then closed (EOF). They are socket
   * pairs (libuv's stdio pipes), so the tool must read the descriptor, not open /dev/fd/N
   * (ENXIO); helm/values-pipes.ts bridges them to real pipes.
   */
  inputs?: readonly Uint8Array[];
  timeoutMs: number;
  /** stdout above this many bytes kills the tool and fails the run. */
  maxOutputBytes: number;
  /** Values that must never appear in an error (plaintexts handed to the tool, credentials). Called when an error is built. */
  secrets?: () => Iterable<string>;
  /** Told the tool's pid once it runs (the FIFO feeder watches which files it holds open). */
  onSpawn?: (pid: number) => void;
}

export interface ToolOutput {
  stdout: Buffer;
  /** Redacted and capped; tools warn on stderr even when they succeed. */
  stderr: string;
}

/** Only the tail of stderr is kept: the error is at the end, and a tool may print a lot. */
export const STDERR_KEEP_BYTES = 8 * 1024;

export class RenderToolError extends Error {
  override readonly name = 'RenderToolError';
  constructor(
    readonly sync: string,
    readonly subject: string,
    readonly tool: string,
    readonly reason: RenderToolFailure,
    /** The tool's own message (stderr tail), redacted. */
    readonly toolMessage: string,
  ) {
    const what =
      reason === 'timeout'
        ? 'timed out'
        : reason === 'output-limit'
          ? 'exceeded the output size limit'
          : reason === 'spawn'
            ? 'could not be started'
            : 'failed';
    super(`sync "${sync}": ${tool} render of ${subject || '/'} ${what}${toolMessage ? `: ${toolMessage}` : ''}`);
  }
}

/** The whole environment a renderer sees. PATH is fixed: a tool must not find binaries the daemon's PATH adds. */
export function cleanEnv(scratch: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: scratch,
    XDG_CONFIG_HOME: join(scratch, '.config'),
    XDG_CACHE_HOME: join(scratch, '.cache'),
    XDG_DATA_HOME: join(scratch, '.local', 'share'),
    TMPDIR: scratch,
    // A path that does not exist: a tool that looks for a cluster finds none.
    KUBECONFIG: join(scratch, '.kube', 'config'),
    LANG: 'C',
    ...extra,
  };
}

export function redactToolText(text: string, secrets: Iterable<string>): string {
  const list = new Set<string>();
  const add = (v: string): void => {
    if (v.length < 3) return;
    list.add(v);
    // Go's ways of quoting what it could not parse: %v of a []byte ("[255 254 61 …]") and %q.
    list.add([...Buffer.from(v, 'utf8')].join(' '));
    list.add(JSON.stringify(v).slice(1, -1));
  };
  for (const s of secrets) {
    // Each line of a multi-line secret too, and the value of a KEY=value line: tools quote the
    // offending line or value, not the whole file.
    add(s);
    for (const raw of s.split(/\r?\n/)) {
      const line = raw.trim();
      add(line);
      const eq = line.indexOf('=');
      if (eq > 0) add(line.slice(eq + 1).trim());
    }
  }
  // Longest first, so a value is not half-replaced by a shorter one it contains.
  return redact(
    text,
    [...list].sort((a, b) => b.length - a.length),
  );
}

function tail(chunks: Buffer[], keep: number): string {
  const all = Buffer.concat(chunks);
  const text = all.subarray(Math.max(0, all.length - keep)).toString('utf8');
  return all.length > keep ? `…${text}` : text;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs the tool; resolves with its output on exit 0, rejects with a RenderToolError otherwise. */
export function runTool(run: ToolRun): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: RenderToolFailure | undefined;
    let settled = false;
    // Scratch paths become repo paths again, so the message names the file as the user knows it.
    const message = (): string =>
      redactToolText(tail(err, STDERR_KEEP_BYTES).trim(), run.secrets?.() ?? [])
        .split(`${run.scratch}/`)
        .join('')
        .split(run.scratch)
        .join('.');
    const fail = (reason: RenderToolFailure, text: string): void => {
      if (settled) return;
      settled = true;
      reject(new RenderToolError(run.sync, run.subject, run.tool, reason, text));
    };
    let child;
    try {
      child = spawn(run.bin, [...run.args], {
        cwd: run.cwd,
        env: cleanEnv(run.scratch, run.env),
        // Own process group, so the timeout kills the tool's children as well.
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe', ...(run.inputs ?? []).map(() => 'pipe' as const)],
      });
    } catch (e) {
      fail('spawn', e instanceof Error ? e.message : String(e));
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) run.onSpawn?.(pid);
    const timer = setTimeout(() => {
      failure ??= 'timeout';
      killGroup(pid);
    }, run.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > run.maxOutputBytes) {
        failure ??= 'output-limit';
        killGroup(pid);
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      errBytes += b.length;
      // Keep memory bounded: drop whole chunks from the front once well past the kept tail.
      while (errBytes - (err[0]?.length ?? 0) > STDERR_KEEP_BYTES && err.length > 1) errBytes -= err.shift()?.length ?? 0;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      fail('spawn', e.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Nothing the tool started may outlive the render (its scratch dir is about to go).
      killGroup(pid);
      if (failure === 'timeout') return fail('timeout', `no result after ${run.timeoutMs} ms${err.length ? `; ${message()}` : ''}`);
      if (failure === 'output-limit') return fail('output-limit', `more than ${run.maxOutputBytes} bytes of output`);
      if (code !== 0) return fail('exit', message() || `exit ${code ?? signal ?? 'unknown'}`);
      if (settled) return;
      settled = true;
      resolve({ stdout: Buffer.concat(out), stderr: message() });
    });
    child.stdin.on('error', () => {
      // The tool may exit without reading stdin; its exit status tells what happened.
    });
    child.stdin.end(run.stdin ? Buffer.from(run.stdin) : undefined);
    (run.inputs ?? []).forEach((bytes, i) => {
      const fd = child.stdio[3 + i] as Writable | null | undefined;
      if (!fd) return;
      fd.on('error', () => {
        // As for stdin: a tool that exits early never reads it.
      });
      fd.end(Buffer.from(bytes));
    });
  });
}
