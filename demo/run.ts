// `npm run demo [-- --auto]`: start the local stack, run the demo on it, and stop everything it
// started on Ctrl-C. Auto mode (--auto, CI=true, or stdin not a terminal) runs every step without
// pauses and exits 0 when all passed, 1 (with the failing step's cause) otherwise. Interactive
// mode pauses between steps and keeps everything running at the end until Ctrl-C.
import { startStack } from '../test/stack/stack.js';
import type { StackInfo, Started } from '../test/stack/types.js';
import type { DaemonProcess } from './daemon-process.js';
import { printHints, runDemo, type DemoRun } from './demo.js';
import { Printer, seconds } from './ui.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--auto');
if (unknown.length > 0 || args.includes('--help')) {
  process.stderr.write(`usage: npm run demo [-- --auto]\n${unknown.length ? `unknown argument: ${unknown.join(' ')}\n` : ''}`);
  process.exit(2);
}
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const auto = args.includes('--auto') || ci || !process.stdin.isTTY;
const p = new Printer(process.stdout);

let stack: Started<StackInfo> | undefined;
let daemon: DaemonProcess | undefined;
let run: DemoRun | undefined;
let stopping: Promise<void> | undefined;

/** Stop what we started, once: a second Ctrl-C (npm forwards the signal too) waits for the first. */
async function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    if (why) p.line(`\n[demo] ${why}`);
    p.line('[demo] stopping the daemon and the stack…');
    // run.stop() also removes the private key; before the run returned, stop the daemon alone.
    await (run ? run.stop() : daemon?.stop())?.catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    p.line('[demo] stopped.');
  })();
  await stopping;
  process.exit(code);
}

// test/stack/procs.ts kills the stack's processes on signals; the demo stops them in order itself
// (its 'exit' hooks still SIGKILL anything left if we die another way).
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => void shutdown(run && !run.ok ? 1 : run ? 0 : 130, 'Ctrl-C'));
process.on('SIGTERM', () => void shutdown(run && !run.ok ? 1 : run ? 0 : 143, 'terminated'));

p.line(`gitops-seal demo (${auto ? 'auto: no pauses' : 'interactive: Enter between steps, Ctrl-C to stop'})`);
p.line('[demo] starting the local stack: kube-apiserver + etcd + controller-manager + scheduler + kwok, OpenBao, registries, git server…');
const t0 = Date.now();
try {
  stack = await startStack();
} catch (err) {
  p.line(`[demo] the stack did not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
const info = (stack as Started<StackInfo>).info;
p.line(`[demo] stack up in ${seconds(Date.now() - t0)} (server logs: ${info.logDir})`);

run = await runDemo(info, { auto, out: process.stdout, onDaemon: (d) => (daemon = d) });
p.line(`  demo total ${seconds(Date.now() - t0)} including the stack start`);
if (auto) await shutdown(run.ok ? 0 : 1);
printHints(process.stdout, info, run);
// Interactive: keep running (the stack and the daemon) until Ctrl-C.
setInterval(() => undefined, 1 << 30);
