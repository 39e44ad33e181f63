// The gitops-seal command tree. Each command lives in commands/<name>.ts and exports
// `register(program, ctx)`; adding a command is one import plus one entry in COMMANDS.
import { Command, CommanderError } from 'commander';
import * as build from './commands/build.js';
import * as check from './commands/check.js';
import * as clusterKey from './commands/cluster-key.js';
import * as completion from './commands/completion.js';
import * as createSecret from './commands/create-secret.js';
import * as decrypt from './commands/decrypt.js';
import * as diff from './commands/diff.js';
import * as edit from './commands/edit.js';
import * as encrypt from './commands/encrypt.js';
import * as importCmd from './commands/import.js';
import * as keygen from './commands/keygen.js';
import * as reconcile from './commands/reconcile.js';
import * as rotate from './commands/rotate.js';
import * as status from './commands/status.js';
import * as updatekeys from './commands/updatekeys.js';
import { createContext, readProcessStdin, type CliContext, type CliIO } from './context.js';
import { ExitCode, formatError, toCliError } from './errors.js';
import { loadKeys, type KeysApi } from './keys-api.js';
import { terminalConfirm } from './prompt.js';
import { packageVersion } from './version.js';

export { packageVersion };

export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

const COMMANDS: readonly CommandModule[] = [
  keygen,
  encrypt,
  decrypt,
  createSecret,
  edit,
  updatekeys,
  rotate,
  check,
  clusterKey,
  build,
  diff,
  status,
  reconcile,
  importCmd,
  completion,
];

export function buildProgram(ctx: CliContext, commands: readonly CommandModule[] = COMMANDS): Command {
  const program = new Command('gitops-seal');
  program
    .description('SOPS-compatible secrets CLI for GitOps repositories (age and Vault/OpenBao transit keys)')
    .version(packageVersion(), '-V, --version')
    // Settings made before .command() are inherited by every subcommand.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      // A mistyped `--from-literl=pw=VALUE` comes back as "unknown option '<the whole arg>'":
      // keep the option name, drop what follows '=' (it may be the secret itself).
      outputError: (s, write) => write(`gitops-seal: ${s.replace(/^error: /, '').replace(/'(-{1,2}[^\s'=]+)=[^']*'/g, "'$1=…'")}`),
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 problems found (check) / differences (diff), 2 usage, 3 decrypt/MAC failure,\n' +
        '            4 key/backend failure, 5 .sops.yaml/daemon config, 6 input/output,\n' +
        '            7 revision refused (build/diff), 8 Git/Kubernetes/daemon unreachable,\n' +
        '            9 only cluster-held keys could decrypt the file (backup rule), 130 interrupted.\n',
    );
  for (const c of commands) c.register(program, ctx);
  return program;
}

export interface RunOptions extends Partial<CliIO> {
  /** Override the crypto library (tests). */
  keys?: () => Promise<KeysApi>;
}

/** Run the CLI in-process; resolves to the exit code. Never throws. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const ctx = createContext(
    {
      stdout: options.stdout ?? process.stdout,
      stderr: options.stderr ?? process.stderr,
      env: options.env ?? process.env,
      cwd: options.cwd ?? process.cwd(),
      confirm: 'confirm' in options ? options.confirm : terminalConfirm(),
      stdin: options.stdin ?? readProcessStdin,
    },
    options.keys ?? loadKeys,
  );
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error (it has
      // already printed the message through outputError).
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const cli = toCliError(err);
    ctx.stderr.write(`${formatError(cli)}\n`);
    return cli.exitCode;
  }
}
