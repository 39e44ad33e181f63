// One tool's part of one round of bench/flux.ts, the same steps for Flux and for gitops-seal:
//   setup (untimed): a fresh namespace, the tool pointed at a fresh branch holding only the seed
//     commit, until the seed ConfigMap is there;
//   first sync: push the 1,000-object commit, trigger, until every object is there;
//   one-file change: push, trigger, until the changed value is there;
//   drift: `kubectl patch` of a field both tools own, until it is reverted (no trigger).
// Times are measured by polling the apiserver (every 200 ms), never from a tool's own status.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cmIndex, cmRev, complete, counts, cpuMs, kcall, kget, memMiB, until, type Kube } from './cluster.js';
import type { BenchCommits } from './repo.js';
import { CHANGED_CM, DRIFT_CM, cmName, revOf } from './workload.js';

const run = promisify(execFile);

export type Tool = 'flux' | 'gitops-seal';

/** What a round's driver does for one tool: point it at a branch, trigger a fetch, tear down. */
export interface ToolDriver {
  tool: Tool;
  /** Start syncing `branch` into `ns` (resolves at once; the caller waits for the seed). */
  start(branch: string, ns: string, round: number): Promise<void>;
  /** The fast path after a push: Flux's requestedAt annotations, our webhook. */
  trigger(commit: string): Promise<void>;
  /** The tool says `commit` is applied and done (Flux: lastAppliedRevision; ours: /status appliedRevision). */
  applied(commit: string): Promise<boolean>;
  /** The tool's processes (CPU and memory). */
  pids(): number[];
  /** Stop syncing this round (keep: leave it running for the steady-state windows). */
  finish(keep: boolean): Promise<void>;
}

export interface RoundResult {
  tool: Tool;
  round: number;
  ns: string;
  firstSyncMs: number;
  /** CPU of the tool's processes from the push to every object applied. */
  firstSyncCpuMs: number;
  changeMs: number;
  driftMs: number;
  /** Delay between the one-file change being applied and the drift patch (Flux: its interval phase). */
  driftDelayMs: number;
  peakRssMiB: number;
}

export interface RoundEnv {
  kube: Kube;
  kubectl: string;
  kubeconfig: string;
  commits: BenchCommits;
  push(commit: string, branch: string): Promise<void>;
  /** Wait this long before the drift patch (Flux: a random phase against its interval). */
  driftDelayMs(tool: Tool): number;
  log(line: string): void;
}

const SETUP_TIMEOUT = 300_000;
const SYNC_TIMEOUT = 900_000;
const DRIFT_TIMEOUT = 180_000;

export async function createNamespace(kube: Kube, ns: string): Promise<void> {
  await kcall(kube, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}

/** Deletes a namespace and waits (untimed) until it is gone, so its cleanup does not load the next step. */
export async function deleteNamespace(kube: Kube, ns: string, timeoutMs = 180_000): Promise<void> {
  await kcall(kube, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  await until(
    `namespace ${ns} deleted`,
    async () => (await kget(kube, `/api/v1/namespaces/${ns}`)).status === 404,
    performance.now(),
    timeoutMs,
    1000,
  ).catch(() => undefined);
}

export async function runRound(
  env: RoundEnv,
  driver: ToolDriver,
  round: number,
  ns: string,
  branch: string,
  keep: boolean,
): Promise<RoundResult> {
  const { kube, commits } = env;
  const cpu = (): number => driver.pids().reduce((s, p) => s + cpuMs(p), 0);
  await createNamespace(kube, ns);
  await env.push(commits.seed, branch);
  await driver.start(branch, ns, round);
  await until(
    `${driver.tool}: seed ConfigMap in ${ns}`,
    async () => (await cmRev(kube, ns, cmName(0))) === 'r1',
    performance.now(),
    SETUP_TIMEOUT,
  );

  await env.push(commits.full, branch);
  let t0 = performance.now();
  const c0 = cpu();
  await driver.trigger(commits.full);
  const firstSyncMs = await until(`${driver.tool}: every object in ${ns}`, async () => complete(await counts(kube, ns)), t0, SYNC_TIMEOUT);
  const firstSyncCpuMs = cpu() - c0;
  env.log(
    `  ${driver.tool} r${round + 1}: first sync ${(firstSyncMs / 1000).toFixed(2)} s (tool CPU ${(firstSyncCpuMs / 1000).toFixed(2)} s)`,
  );

  await env.push(commits.change, branch);
  t0 = performance.now();
  await driver.trigger(commits.change);
  const changed = cmName(CHANGED_CM);
  const changeMs = await until(
    `${driver.tool}: ${changed} rev r2`,
    async () => (await cmRev(kube, ns, changed)) === revOf(CHANGED_CM, 'change'),
    t0,
    SYNC_TIMEOUT,
  );
  env.log(`  ${driver.tool} r${round + 1}: one-file change ${(changeMs / 1000).toFixed(2)} s`);

  // Drift is patched only once the tool has finished with the change (its apply, inventory and
  // drift bookkeeping): a patch inside that window is a different case (see bench/README.md).
  await until(`${driver.tool}: done with the change`, () => driver.applied(commits.change), performance.now(), SYNC_TIMEOUT);
  const driftDelayMs = env.driftDelayMs(driver.tool);
  await new Promise((r) => setTimeout(r, driftDelayMs));
  const drifted = cmName(DRIFT_CM);
  await run(env.kubectl, [
    `--kubeconfig=${env.kubeconfig}`,
    '-n',
    ns,
    'patch',
    'configmap',
    drifted,
    '--type=merge',
    '-p',
    '{"data":{"index":"drifted"}}',
  ]);
  t0 = performance.now();
  const driftMs = await until(
    `${driver.tool}: ${drifted} reverted`,
    async () => (await cmIndex(kube, ns, drifted)) === String(DRIFT_CM),
    t0,
    DRIFT_TIMEOUT,
  ).catch(() => NaN);
  env.log(
    `  ${driver.tool} r${round + 1}: drift ${Number.isNaN(driftMs) ? `NOT reverted within ${DRIFT_TIMEOUT / 1000} s` : `reverted in ${(driftMs / 1000).toFixed(2)} s`} (patched ${(driftDelayMs / 1000).toFixed(0)} s after the change was applied)`,
  );

  const peakRssMiB = driver.pids().reduce((s, p) => s + memMiB(p).peak, 0);
  await driver.finish(keep);
  return { tool: driver.tool, round, ns, firstSyncMs, firstSyncCpuMs, changeMs, driftMs, driftDelayMs, peakRssMiB };
}
