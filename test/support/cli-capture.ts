// The one way tests run the CLI in-process: cli/program.ts's runCli with stdout and stderr
// captured as text. Everything else of the context (env, cwd, confirm, stdin, keys) is passed
// through as given — an absent `confirm` still means runCli's terminal prompt, as in production.
import { runCli, type RunOptions } from '../../cli/program.js';

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

export async function runCaptured(args: string[], options: Omit<RunOptions, 'stdout' | 'stderr'> = {}): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    ...options,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}
