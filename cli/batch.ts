// Run one operation over many files: a progress line per file on stderr, each file replaced
// atomically by the operation, a failure reported and skipped (the original stays untouched),
// and a non-zero exit at the end if anything failed.
import type { CliContext } from './context.js';
import { ExitCode, formatError, toCliError, type ExitCodeValue } from './errors.js';
import { writeJson, type OutputFormat } from './output.js';

export type FileOutcome = 'updated' | 'unchanged';

export interface FileResult {
  path: string;
  status: FileOutcome | 'failed';
  error?: string;
  exitCode?: ExitCodeValue;
}

export async function runBatch(
  ctx: CliContext,
  command: string,
  files: string[],
  output: OutputFormat,
  op: (file: string) => Promise<FileOutcome>,
): Promise<number> {
  const results: FileResult[] = [];
  for (const [i, file] of files.entries()) {
    ctx.stderr.write(`[${i + 1}/${files.length}] ${file}\n`);
    try {
      results.push({ path: file, status: await op(file) });
    } catch (err) {
      const cli = toCliError(err, file);
      ctx.stderr.write(`${formatError(cli)}\n`);
      results.push({ path: file, status: 'failed', error: cli.message, exitCode: cli.exitCode });
    }
  }
  const count = (s: FileResult['status']): number => results.filter((r) => r.status === s).length;
  ctx.stderr.write(`${command}: ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} failed\n`);
  if (output === 'json') writeJson(ctx.stdout, { command, results });
  // The first failure's code: scripts learn the kind of the (first) problem, not just "failed".
  const failed = results.find((r) => r.status === 'failed');
  return failed ? (failed.exitCode ?? ExitCode.IO) : ExitCode.OK;
}
