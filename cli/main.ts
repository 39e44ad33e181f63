#!/usr/bin/env node
// Entry point of the `gitops-seal` binary.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// Let stdout drain before exiting: a pipe (`gitops-seal decrypt f | kubectl apply -f -`) must
// get the whole document. Exit explicitly so idle keep-alive sockets (Vault) cannot hold us.
process.stdout.write('', () => process.exit(code));
