// `gitops-seal reconcile --sync NAME`: ask a running daemon to reconcile a sync now
// (POST /reconcile/NAME; the daemon re-applies the source's last fetched revision, or fetches
// first when it has none). With --wait, poll /status until an attempt that started after the
// request has finished and report its outcome.
//
// Exit: 0 accepted (--wait: applied), 1 --wait: the attempt failed or did not finish in time,
// 2 no such sync, 8 the daemon cannot be reached.
import { Option, type Command } from 'commander';
import type { SyncStatus } from '../../daemon/status/index.js';
import type { CliContext } from '../context.js';
import {
  daemonUrl,
  DaemonUnreachableError,
  findSource,
  findSync,
  getStatus,
  parseTimeout,
  requestReconcile,
  UnknownSyncError,
  urlOption,
  type StatusDocument,
} from '../daemon-client.js';
import { CliError, ExitCode } from '../errors.js';
import { choiceParser, writeStructured } from '../output.js';
import { attemptOutcome, joinLines, shortSha } from '../status-view.js';

type ReconcileFormat = 'text' | 'json' | 'yaml';

interface ReconcileOptions {
  sync: string;
  url?: string;
  wait: boolean;
  timeout: number;
  output: ReconcileFormat;
}

/** Per request; the overall --wait deadline is --timeout. */
const REQUEST_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why the wait ended without an outcome: the sync's last error, else its source's. */
function stalled(doc: StatusDocument | undefined, sync: string): string {
  const s = doc && findSync(doc, sync);
  const src = doc && s ? findSource(doc, s.source) : undefined;
  if (src?.lastError) return `; source "${src.name}" last error: ${src.lastError.message}`;
  if (s?.lastError) return `; last error: ${s.lastError.stage}: ${s.lastError.message}`;
  return '';
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('reconcile')
    .description('trigger a sync on a running daemon now (--wait: until it is applied or fails)')
    .requiredOption('-s, --sync <name>', 'name of a sync in the daemon')
    .addOption(urlOption())
    .option('-w, --wait', 'wait for the outcome and print it', false)
    .addOption(new Option('--timeout <duration>', 'how long --wait waits for the outcome').argParser(parseTimeout).default(60_000, '60s'))
    .addOption(
      new Option('-o, --output <format>', 'json or yaml: the sync status after the attempt (--wait), else {sync, accepted}')
        .argParser(choiceParser<ReconcileFormat>(['text', 'json', 'yaml']))
        .default('text'),
    )
    .addHelpText('after', '\nExit: 0 accepted (--wait: applied), 1 --wait: failed or timed out, 2 no such sync, 8 daemon unreachable.\n')
    .action(async (opts: ReconcileOptions) => {
      const url = daemonUrl(opts.url, ctx.env);
      const t0 = Date.now();
      // The sync's status before the request: --wait waits for an attempt that starts after it.
      const before = opts.wait ? await getStatus(url, REQUEST_TIMEOUT_MS) : undefined;
      if (!(await requestReconcile(url, opts.sync, REQUEST_TIMEOUT_MS))) {
        const known = before ?? (await getStatus(url, REQUEST_TIMEOUT_MS).catch(() => undefined));
        throw new UnknownSyncError(url, opts.sync, known?.syncs.map((s) => s.name) ?? []);
      }
      if (!opts.wait) {
        if (opts.output === 'text') ctx.stdout.write(`sync "${opts.sync}": reconcile requested\n`);
        else writeStructured(ctx.stdout, opts.output, { sync: opts.sync, accepted: true });
        return;
      }
      const baseline = before && findSync(before, opts.sync);
      const deadline = t0 + opts.timeout;
      let last: StatusDocument | undefined;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        try {
          last = await getStatus(url, Math.min(REQUEST_TIMEOUT_MS, left));
        } catch (err) {
          // The daemon went away while we waited: that is exit 8. Only a request cut short by
          // the --wait deadline itself counts as the timeout below.
          if (!(err instanceof DaemonUnreachableError) || Date.now() < deadline) throw err;
          break;
        }
        const now: SyncStatus | undefined = findSync(last, opts.sync);
        if (!now)
          throw new UnknownSyncError(
            url,
            opts.sync,
            last.syncs.map((s) => s.name),
          );
        const outcome = attemptOutcome(baseline, now);
        if (outcome.done) {
          if (opts.output !== 'text') writeStructured(ctx.stdout, opts.output, now);
          const took = `${((Date.now() - t0) / 1000).toFixed(1)}s`;
          if (!outcome.ok) {
            // Several problems come as indented lines; the error stays one line.
            throw new CliError(
              `sync "${opts.sync}": reconcile failed after ${took}: ${outcome.stage}: ${joinLines(outcome.message)}`,
              ExitCode.PROBLEMS,
            );
          }
          if (opts.output === 'text')
            ctx.stdout.write(`sync "${opts.sync}": applied ${shortSha(outcome.revision)} (${now.objects} objects) in ${took}\n`);
          return;
        }
        await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
      }
      throw new CliError(
        `sync "${opts.sync}": no finished reconcile within ${opts.timeout / 1000}s${stalled(last, opts.sync)}`,
        ExitCode.PROBLEMS,
      );
    });
}
