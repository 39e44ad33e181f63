// Run one operation over many files: a progress line per file on stderr, each file replaced
// atomically by the operation, a failure reported and skipped (the original stays untouched),
// and a non-zero exit at the end if anything failed.
import type { CliContext } from './context.js';
import { ExitCode, formatError, toCliError, type ExitCodeValue } from './errors.js';
import { writeStructured, type ReportFormat } from './output.js';

/** `skipped`: the user declined the change when asked (updatekeys removing a recipient). */
export type FileOutcome = 'updated' | 'unchanged' | 'skipped';

/** An outcome with the recipients the change added or removed (updatekeys). */
export interface FileReport {
  status: FileOutcome;
  added?: string[];
  removed?: string[];
}

export interface FileResult extends Partial<Omit<FileReport, 'status'>> {
  path: string;
  status: FileOutcome | 'failed';
  error?: string;
  exitCode?: ExitCodeValue;
}

export async function runBatch(
  ctx: CliContext,
  command: string,
  files: string[],
  output: ReportFormat,
  op: (file: string) => Promise<FileOutcome | FileReport>,
): Promise<number> {
  const results: FileResult[] = [];
  for (const [i, file] of files.entries()) {
    ctx.stderr.write(`[${i + 1}/${files.length}] ${file}\n`);
    try {
      const outcome = await op(file);
      results.push(typeof outcome === 'string' ? { path: file, status: outcome } : { path: file, ...outcome });
    } catch (err) {
      const cli = toCliError(err, file);
      ctx.stderr.write(`${formatError(cli)}\n`);
      results.push({ path: file, status: 'failed', error: cli.message, exitCode: cli.exitCode });
    }
  }
  const count = (s: FileResult['status']): number => results.filter((r) => r.status === s).length;
  const skipped = count('skipped') > 0 ? `, ${count('skipped')} skipped` : '';
  ctx.stderr.write(`${command}: ${count('updated')} updated, ${count('unchanged')} unchanged${skipped}, ${count('failed')} failed\n`);
  if (output !== 'text') writeStructured(ctx.stdout, output, { command, results });
  // The first failure's code: scripts learn the kind of the (first) problem, not just "failed".
  const failed = results.find((r) => r.status === 'failed');
  return failed ? (failed.exitCode ?? ExitCode.IO) : ExitCode.OK;
}
