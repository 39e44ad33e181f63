#!/usr/bin/env node
// Entry point of the `gitops-seal` binary.
import { packageVersion } from './version.js';

// `gitops-seal decrypt f | head -1`: a reader closing the pipe is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const argv = process.argv.slice(2);
// `--version` alone is answered before the command tree (and what it imports) is loaded: scripts
// and completion helpers call it often and it should cost no more than starting Node.
const code =
  argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')
    ? (process.stdout.write(`${packageVersion()}\n`), 0)
    : await (await import('./program.js')).runCli(argv);
process.exitCode = code;
// Let stdout drain before exiting: a pipe (`gitops-seal decrypt f | kubectl apply -f -`) must
// get the whole document. Exit explicitly so idle keep-alive sockets (Vault) cannot hold us.
process.stdout.write('', () => process.exit(code));
