#!/usr/bin/env node
// gitops-seal-daemon --config FILE [--once] [--listen ADDR] [--data-dir DIR]
import { Command } from 'commander';
import { ConfigError, loadConfig } from './config/index.js';
import { Daemon } from './daemon.js';
import { createLogger } from './log.js';

const program = new Command('gitops-seal-daemon')
  .description('Keep Kubernetes clusters equal to Git, with SOPS-encrypted Secrets decrypted in memory')
  .requiredOption('-c, --config <file>', 'DaemonConfig YAML file')
  .option('--once', 'reconcile every sync once and exit (0 on success, 1 on any failure)')
  .option('--listen <addr>', 'override spec.listen (host:port)')
  .option('--data-dir <dir>', 'where Git object stores are kept', process.env.GITOPS_SEAL_DATA ?? '.gitops-seal')
  .option('--inventory-namespace <ns>', 'namespace of the inventory ConfigMaps', 'gitops-seal-system')
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ config: string; once?: boolean; listen?: string; dataDir: string; inventoryNamespace: string }>();
const log = createLogger();

let config;
try {
  config = await loadConfig(opts.config);
} catch (err) {
  process.stderr.write(`gitops-seal-daemon: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const daemon = new Daemon(config, { dataDir: opts.dataDir, log, inventoryNamespace: opts.inventoryNamespace, ...(opts.listen ? { listen: opts.listen } : {}) });
await daemon.init();
if (opts.once) {
  const errors = await daemon.once();
  await daemon.stop();
  for (const e of errors) process.stderr.write(`gitops-seal-daemon: ${e.message}\n`);
  process.exit(errors.length === 0 ? 0 : 1);
}
await daemon.start();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info({ signal: sig }, 'shutting down');
    void daemon.stop().then(() => process.exit(0));
  });
}
