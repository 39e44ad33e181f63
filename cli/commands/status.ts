// `gitops-seal status`: what a running daemon reports at GET /status, as a table per sync (plus
// sources and image automation) or as the raw document (-o json|yaml).
//
// Exit: 0 every sync (or the one named by --sync) is ready without error, 1 a sync has an error
// or has not applied a revision yet, 2 no such sync, 8 the daemon cannot be reached.
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { daemonUrl, findSync, getStatus, parseTimeout, UnknownSyncError, urlOption } from '../daemon-client.js';
import { ExitCode } from '../errors.js';
import { choiceParser, writeStructured } from '../output.js';
import { renderStatus, syncProblem } from '../status-view.js';

export type StatusFormat = 'table' | 'json' | 'yaml';
export const parseStatusFormat = choiceParser<StatusFormat>(['table', 'json', 'yaml']);

interface StatusOptions {
  url?: string;
  output: StatusFormat;
  sync?: string;
  timeout: number;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description("show a running daemon's status per sync (exit 1 if a sync is failing or not ready)")
    .addOption(urlOption())
    .addOption(
      new Option('-o, --output <format>', 'table, or the raw /status document as json or yaml')
        .argParser(parseStatusFormat)
        .default('table'),
    )
    .option('-s, --sync <name>', 'only this sync (json/yaml: just its status object)')
    .addOption(new Option('--timeout <duration>', 'how long to wait for the daemon').argParser(parseTimeout).default(5000, '5s'))
    .addHelpText(
      'after',
      '\nExit: 0 all ready (or the replica is a follower), 1 a sync has an error or is not ready, 2 no such sync, 8 daemon unreachable.\n',
    )
    .action(async (opts: StatusOptions) => {
      const url = daemonUrl(opts.url, ctx.env);
      const doc = await getStatus(url, opts.timeout);
      let syncs = doc.syncs;
      if (opts.sync !== undefined) {
        const one = findSync(doc, opts.sync);
        if (!one)
          throw new UnknownSyncError(
            url,
            opts.sync,
            doc.syncs.map((s) => s.name),
          );
        syncs = [one];
      }
      if (opts.output === 'table') ctx.stdout.write(renderStatus(doc, Date.now(), opts.sync));
      else writeStructured(ctx.stdout, opts.output, opts.sync !== undefined ? syncs[0] : doc);
      // A follower (leader election) runs no controllers: its syncs never apply, so they say
      // nothing about the fleet's health. Point at the leader instead of failing. (With --shards
      // every replica's /status is the fleet's: judged like a leader's.)
      if (doc.leader === false && doc['sharding'] === undefined) {
        const holder = doc.leaderElection?.holder;
        ctx.stderr.write(
          `status: this replica is a follower; the leader is ${holder ? `"${holder}"` : 'not known yet'} — its syncs are reported by the leader (or the Service in front of the replicas)\n`,
        );
        ctx.exitCode = ExitCode.OK;
        return;
      }
      const problems = syncs.map(syncProblem).filter((p): p is string => p !== undefined);
      for (const p of problems) ctx.stderr.write(`status: ${p}\n`);
      ctx.exitCode = problems.length > 0 ? ExitCode.PROBLEMS : ExitCode.OK;
    });
}
