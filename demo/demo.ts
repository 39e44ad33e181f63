// runDemo(stack, opts): the whole walk-through on a running stack — setup, the five steps with
// headers and timings, a summary. `npm run demo` (demo/run.ts) starts its own stack first; the
// integration test runs it on the shared one. The daemon keeps running until run.stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { StackInfo } from '../test/stack/types.js';
import type { DaemonProcess } from './daemon-process.js';
import { exec } from './exec.js';
import { setup, type DemoContext } from './setup.js';
import { STEPS, type Step } from './steps.js';
import { Printer, seconds, waitForEnter } from './ui.js';

export interface DemoOptions {
  /** Run every step without pauses (CI, `--auto`, no TTY). */
  auto: boolean;
  out: Writable;
  /** Appended to the git repo and image names so runs on a shared stack do not collide. */
  suffix?: string;
  /** Told about the daemon as soon as it runs, so a Ctrl-C handler can stop it. */
  onDaemon?: (d: DaemonProcess) => void;
  steps?: readonly Step[];
}

export interface StepResult {
  index: number;
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: string;
}

export interface DemoRun {
  ok: boolean;
  /** Setup failures are reported as step 0. */
  steps: StepResult[];
  totalMs: number;
  work: string;
  ctx?: DemoContext;
  /** Stop the daemon; delete the private key (and the whole temp dir when the run passed). */
  stop(): Promise<void>;
}

export async function runDemo(stack: StackInfo, opts: DemoOptions): Promise<DemoRun> {
  const p = new Printer(opts.out);
  const steps = opts.steps ?? STEPS;
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'gitops-seal-demo-'));
  const results: StepResult[] = [];
  let ctx: DemoContext | undefined;
  const fail = (index: number, title: string, started: number, err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    results.push({ index, title, status: 'failed', ms: Date.now() - started, error: message });
    p.fail(`${index === 0 ? 'setup' : `step ${index}`} failed: ${message}`);
    if (ctx) p.say(`daemon log: ${ctx.daemon.logFile}; last lines:\n${ctx.daemon.tail(8).replace(/^/gm, '      ')}`);
  };

  const ts = Date.now();
  try {
    ctx = await setup(stack, p, { suffix: opts.suffix ?? '', work, ...(opts.onDaemon ? { onDaemon: opts.onDaemon } : {}) });
    results.push({ index: 0, title: 'setup', status: 'passed', ms: Date.now() - ts });
  } catch (err) {
    fail(0, 'setup', ts, err);
  }
  for (const [i, step] of steps.entries()) {
    const index = i + 1;
    if (!ctx || results.some((r) => r.status === 'failed')) {
      results.push({ index, title: step.title, status: 'skipped', ms: 0 });
      continue;
    }
    if (!opts.auto) await waitForEnter(p, `press Enter for step ${index}/${steps.length}: ${step.title}`);
    p.header(index, steps.length, step.title);
    const started = Date.now();
    try {
      await step.run(ctx);
      results.push({ index, title: step.title, status: 'passed', ms: Date.now() - started });
    } catch (err) {
      fail(index, step.title, started, err);
    }
  }
  const totalMs = Date.now() - t0;
  const ok = results.every((r) => r.status === 'passed');
  printSummary(p, results, totalMs);

  const daemon = ctx?.daemon;
  return {
    ok,
    steps: results,
    totalMs,
    work,
    ...(ctx ? { ctx } : {}),
    stop: async () => {
      await daemon?.stop();
      rmSync(join(work, 'age.key'), { force: true });
      if (ok) rmSync(work, { recursive: true, force: true });
    },
  };
}

function printSummary(p: Printer, results: StepResult[], totalMs: number): void {
  p.section('Summary');
  for (const r of results) {
    const label = r.index === 0 ? 'setup' : `[${r.index}/${results.length - 1}]`;
    const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '-';
    p.line(`  ${mark} ${label.padEnd(6)} ${r.status === 'skipped' ? 'skipped'.padStart(7) : seconds(r.ms).padStart(7)}  ${r.title}`);
  }
  const failed = results.find((r) => r.status === 'failed');
  p.line(
    failed
      ? `  FAILED at ${failed.index === 0 ? 'setup' : `step ${failed.index}`}: ${failed.error ?? ''}`
      : `  all steps passed in ${seconds(totalMs)}`,
  );
}

/** How to look around while the demo keeps running (interactive mode). */
export function printHints(out: Writable, stack: StackInfo, run: DemoRun): void {
  const p = new Printer(out);
  const ctx = run.ctx;
  p.section('Everything is still running. Poke at it:');
  p.line(`  export KUBECONFIG=${stack.kube.kubeconfig}`);
  p.line(`  export PATH=${join(stack.bins.kubectl, '..')}:$PATH          # kubectl of the stack`);
  p.line('  kubectl get deploy,cm,secret,greetings -n demo-web');
  p.line('  kubectl scale deployment podinfo -n demo-web --replicas=7      # watch it come back to 2');
  if (ctx) {
    p.line(`  open ${ctx.daemon.url}/                                          # the web status page (live)`);
    p.line(`  curl -s ${ctx.daemon.url}/status                               # gitops-seal status`);
    p.line(`  cd ${ctx.clone} && git log --oneline   # the fleet repo (origin: ${ctx.repoUrl})`);
    p.line(`  tail -f ${ctx.daemon.logFile}`);
  }
  p.line('Press Ctrl-C to stop the daemon and the stack.');
}

/** Delete what the demo created in the cluster (tests on a shared stack), after run.stop(). */
export async function cleanupCluster(stack: StackInfo): Promise<void> {
  const k = (args: string[]) =>
    exec(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args], { allowFail: true, display: `kubectl ${args.join(' ')}` });
  await k([
    'delete',
    'namespace',
    'demo-web',
    'demo-worker',
    'demo-staging',
    'demo-charts',
    '--ignore-not-found',
    '--wait=true',
    '--timeout=90s',
  ]);
  await k(['delete', 'crd', 'greetings.demo.gitops-seal.io', '--ignore-not-found']);
  for (const sync of ['demo-fleet', 'demo-staging', 'demo-greeter'])
    await k(['delete', 'configmap', `gitops-seal-inventory-${sync}`, '-n', 'gitops-seal-system', '--ignore-not-found']);
}
