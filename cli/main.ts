#!/usr/bin/env node
// Entry point of the `gitops-seal` binary.
import { runCli } from './program.js';

// `gitops-seal decrypt f | head -1`: a reader closing the pipe is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Let stdout drain before exiting: a pipe (`gitops-seal decrypt f | kubectl apply -f -`) must
// get the whole document. Exit explicitly so idle keep-alive sockets (Vault) cannot hold us.
process.stdout.write('', () => process.exit(code));
