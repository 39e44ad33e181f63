// Running the programs the demo shows: kubectl from the stack, git, and our own CLI (from
// source, like `npm run` would). Failures carry the program's stderr, which never holds a
// secret value here (the CLI's errors are value-free; kubectl/git print names and causes).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { StackInfo } from '../test/stack/types.js';
import { runCaptured } from '../test/support/cli-capture.js';

const run = promisify(execFile);

/** The repository root (demo/..): the CLI, the daemon and examples/ are found from here. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A step could not be shown as promised; the message says what was expected and what happened. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a program; a non-zero exit is a DemoError naming `display` unless `allowFail`. */
export async function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; display?: string; allowFail?: boolean } = {},
): Promise<ExecResult> {
  try {
    const r = await run(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 16 << 20 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    const code = typeof e.code === 'number' ? e.code : 1;
    if (opts.allowFail && typeof e.code === 'number') return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code };
    const what = opts.display ?? `${cmd} ${args.join(' ')}`;
    throw new DemoError(`\`${what}\` failed (exit ${String(e.code)}): ${(e.stderr ?? '').trim() || String(err)}`);
  }
}

/**
 * `gitops-seal …`: the CLI's own entry (runCli, what the binary runs) in this process, with its
 * output captured. One module load for every call instead of a node start each (~3 s of CPU).
 */
export async function cli(args: string[], cwd: string, allowFail = false): Promise<ExecResult> {
  const r = await runCaptured(args, { cwd, env: process.env, confirm: undefined });
  if (r.code !== 0 && !allowFail) throw new DemoError(`\`gitops-seal ${args[0] ?? ''}\` failed (exit ${r.code}): ${r.err.trim()}`);
  return { stdout: r.out, stderr: r.err, code: r.code };
}

export async function kubectl(stack: StackInfo, args: string[]): Promise<string> {
  return (await exec(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args], { display: `kubectl ${args.join(' ')}` }))
    .stdout;
}

/** `kubectl get … -o json`, or undefined when the object does not exist. */
export async function getJson<T>(stack: StackInfo, args: string[]): Promise<T | undefined> {
  const r = await exec(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, 'get', ...args, '-o', 'json'], {
    allowFail: true,
  });
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new DemoError(`\`kubectl get ${args.join(' ')}\` failed: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as T;
}

export async function git(dir: string, args: string[]): Promise<string> {
  return (await exec('git', ['-C', dir, ...args], { display: `git ${args.join(' ')}` })).stdout.trim();
}

/**
 * Poll until `check` returns a value (not undefined/false); a DemoError after `timeoutMs` that
 * says what was awaited and the last thing seen (`describe` of the last result or error).
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
