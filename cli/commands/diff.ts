// `gitops-seal diff --config FILE --sync NAME`: what the daemon would change in the cluster for
// the current head of the sync's source. Per object a server-side dry-run apply is compared with
// the live object (only fields our field manager owns, so controller-written fields never show);
// objects in the sync's inventory but no longer in the revision are listed as pruned.
// Secret values never appear: changed Secret keys are named, their values shown as `*** (changed)`.
//
// Exit: 0 no difference, 1 differences, >1 error (7: the daemon would refuse the revision).
import { Option, type Command } from 'commander';
import { formatDiff, type ObjectDiff } from '../../daemon/apply/index.js';
import { PRUNE_ANNOTATION, PRUNE_DISABLED, SYNC_LABEL } from '../../daemon/apply/index.js';
import { objectOf } from '../../daemon/inventory/inventory.js';
import { NoMatchError } from '../../daemon/kube/errors.js';
import { describe, type KubeObject } from '../../daemon/kube/types.js';
import type { CliContext } from '../context.js';
import { type DaemonView, withDaemonView } from '../lazy-view.js';
import { CliError, ExitCode } from '../errors.js';
import { parseReportFormat, writeStructured, type ReportFormat } from '../output.js';

interface DiffOptions {
  config: string;
  sync: string;
  output: ReportFormat;
}

interface Pruned {
  subject: string;
  /** Why a stale inventory entry would not be deleted (then it is not a difference). */
  skipped?: 'not-found' | 'not-owned' | 'prune-disabled' | 'prune-off';
}

/** Inventory entries the revision dropped, checked against the live objects as the delete would. */
async function prunes(view: DaemonView): Promise<{ pruned: Pruned[]; guard?: string }> {
  // The daemon's own decision (guard included): what left the revision and whether it may go.
  const plan = await view.prunePlan();
  const out: Pruned[] = [];
  for (const entry of plan.dropped) {
    const obj: KubeObject = objectOf(entry);
    const subject = describe(obj);
    if (!view.sync.prune) {
      out.push({ subject, skipped: 'prune-off' });
      continue;
    }
    let live: KubeObject | undefined;
    try {
      live = await view.manager.getLive(await view.manager.locate(obj));
    } catch (err) {
      if (!(err instanceof NoMatchError)) throw err; // kind no longer served: nothing to delete
    }
    if (!live) out.push({ subject, skipped: 'not-found' });
    else if (live.metadata.labels?.[SYNC_LABEL] !== view.sync.name) out.push({ subject, skipped: 'not-owned' });
    else if (live.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) out.push({ subject, skipped: 'prune-disabled' });
    else out.push({ subject });
  }
  return plan.refused !== undefined ? { pruned: out, guard: plan.refused } : { pruned: out };
}

function textLines(diffs: readonly ObjectDiff[], pruned: readonly Pruned[]): string[] {
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.action === 'none') continue;
    const mark = d.action === 'create' ? '+' : d.action === 'update' ? '~' : '!';
    // formatDiff redacts Secret data (`*** (changed)`); its lines are reused verbatim.
    for (const l of formatDiff(d)) lines.push(`${mark} ${l}`);
  }
  for (const p of pruned) if (!p.skipped) lines.push(`- ${p.subject}: pruned`);
  return lines;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description("server-side dry-run diff of a sync's current source head against the cluster (exit 1 if anything would change)")
    .requiredOption('-c, --config <file>', 'DaemonConfig file')
    .requiredOption('-s, --sync <name>', 'name of a sync in the config')
    .addOption(new Option('-o, --output <format>', 'report format: text, json or yaml').argParser(parseReportFormat).default('text'))
    .action(async (opts: DiffOptions) =>
      withDaemonView(ctx, { config: opts.config, sync: opts.sync, mode: 'diff' }, async (view) => {
        const diffs = await view.manager.diff(view.ordered);
        const { pruned, guard } = await prunes(view);
        const count = (a: ObjectDiff['action']): number => diffs.filter((d) => d.action === a).length;
        const toPrune = pruned.filter((p) => !p.skipped);
        if (opts.output !== 'text') {
          writeStructured(ctx.stdout, opts.output, {
            sync: view.sync.name,
            revision: view.commit,
            objects: diffs,
            pruned,
            ...(guard !== undefined ? { pruneGuard: guard } : {}),
          });
        } else {
          for (const l of textLines(diffs, pruned)) ctx.stdout.write(`${l}\n`);
          const kept = pruned.filter((p) => p.skipped === 'prune-off').length;
          if (kept > 0) ctx.stderr.write(`diff: ${kept} object(s) left the revision but prune is off: they stay in the cluster\n`);
          ctx.stderr.write(
            `diff: sync "${view.sync.name}" ${view.commit.slice(0, 12)}: ${count('create')} to create, ${count('update')} to change, ` +
              `${toPrune.length} to prune, ${count('none')} unchanged${count('error') ? `, ${count('error')} failing` : ''}\n`,
          );
        }
        if (guard !== undefined) throw new CliError(`the daemon would refuse this revision: ${guard}`, ExitCode.REFUSED);
        if (count('error') > 0) {
          throw new CliError(
            `the daemon would refuse this revision: ${count('error')} object(s) fail the server-side dry-run`,
            ExitCode.REFUSED,
          );
        }
        ctx.exitCode = count('create') + count('update') + toPrune.length > 0 ? ExitCode.PROBLEMS : ExitCode.OK;
      }),
    );
}
