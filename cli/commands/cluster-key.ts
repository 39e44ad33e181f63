// `gitops-seal cluster-key fetch|add|backup|restore|rotate`: the cluster-held age key (issue 16).
// The logic lives in cli/cluster-key/; this file only declares the command line.
import { Command, Option } from 'commander';
import { parseTimeout } from '../daemon-client.js';
import type { CliContext } from '../context.js';
import { collectList } from '../encryption-settings.js';
import { choiceParser } from '../output.js';
import {
  DEFAULT_NAMESPACE,
  runAdd,
  runBackup,
  runFetch,
  runRestore,
  runRotate,
  type AddFlags,
  type BackupFlags,
  type ClusterFlags,
  type PublicFlags,
  type RestoreFlags,
} from '../cluster-key/index.js';

const parseFormat = choiceParser(['text', 'json']);

function clusterOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .option('-n, --namespace <ns>', "the daemon's namespace, where the key's Secret and ConfigMap are", DEFAULT_NAMESPACE);
}

function publicOptions(cmd: Command): Command {
  return clusterOptions(cmd)
    .addOption(
      new Option('--url <url>', "read GET <url>/keys from the daemon's status server instead of the ConfigMap").conflicts([
        'context',
        'kubeconfig',
      ]),
    )
    .addOption(new Option('--timeout <duration>', 'with --url: give up after this long').argParser(parseTimeout).default(5000, '5s'))
    .option('--name <pin>', 'name of the pin in .sops.yaml (one per cluster)', 'default')
    .option(
      '--config <file>',
      'the .sops.yaml holding the pins (default: $SOPS_CONFIG, else the nearest from the current directory upward)',
    )
    .addOption(new Option('-o, --output <format>', 'text or json').argParser(parseFormat).default('text'));
}

export function register(program: Command, ctx: CliContext): void {
  const group = program
    .command('cluster-key')
    .description('the cluster-held age key: fetch and pin its recipient, back it up, restore it, rotate it');

  publicOptions(
    group.command('fetch').description('print the cluster recipient and fingerprint; checked against the pin in .sops.yaml'),
  ).action((opts: PublicFlags) => runFetch(ctx, opts));

  publicOptions(
    group
      .command('add')
      .description('add the cluster recipient to the .sops.yaml creation rule for PATH_REGEX (created if missing) and pin its fingerprint')
      .argument('<path_regex>', "the rule's path_regex, exactly as in .sops.yaml"),
  )
    .option(
      '--accept-rotation',
      'the cluster key differs from the pin and that is expected: pin the new key, replace the old one in every rule',
    )
    .action((pathRegex: string, opts: AddFlags) => runAdd(ctx, pathRegex, opts));

  clusterOptions(
    group
      .command('backup')
      .description("write the cluster's identities age-encrypted (armored) to an offline recipient; never plaintext")
      .requiredOption('--to <recipients>', 'age recipient(s) of the backup (comma-separated, repeatable); not the cluster key', collectList)
      .option('-o, --output <file>', 'write the backup to this new file (0600, never overwritten) instead of stdout'),
  ).action((opts: BackupFlags) => runBackup(ctx, opts));

  clusterOptions(
    group
      .command('restore')
      .description("put the identities of a backup into the cluster's key Secret (decrypted in memory with your age identity)")
      .requiredOption('--from <file>', "the backup made by cluster-key backup ('-': standard input)")
      .option(
        '-i, --identity <file>',
        'age identity file that opens the backup (also tried: $SOPS_AGE_KEY, $SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt)',
      )
      .option(
        '--merge',
        "when the Secret exists: add the backup's identities to it (sorted by creation time; the newest of all is current)",
      ),
  ).action((opts: RestoreFlags) => runRestore(ctx, opts));

  clusterOptions(
    group.command('rotate').description('make a new current cluster identity now; earlier ones are retired and keep decrypting'),
  ).action((opts: ClusterFlags) => runRotate(ctx, opts));
}
