// Daemon replicas as real processes (`node --import tsx daemon/main.ts --leader-elect …`), for
// the HA and shutdown tests: each with its own data dir, port and POD_NAME, the stack's
// kubeconfig as its home cluster, and its JSON log in a file. Started through
// test/support/daemon-process.ts, so every process is killed by PID at the end, also when a
// test fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeClient } from '../../daemon/kube/client.js';
import type { DaemonStatus } from '../../daemon/status/index.js';
import { afterEach } from 'vitest';
import { freePort, type Proc } from '../stack/procs.js';
import type { StackInfo } from '../stack/types.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';

export interface Replica {
  name: string;
  url: string;
  proc: Proc;
  process: DaemonProcess;
  /** Its --data-dir (git caches), removed by stopReplicas. */
  dataDir: string;
}

/** Config dirs of this test process, removed when it exits (they hold kubeconfigs with the stack's token). */
const configDirs: string[] = [];
process.once('exit', () => {
  for (const d of configDirs) rmSync(d, { recursive: true, force: true });
});

/** Writes a DaemonConfig (object) to a temp YAML file and returns its path. */
export function writeConfig(config: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-cfg-'));
  configDirs.push(dir);
  const file = join(dir, 'daemon.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Starts one replica and waits until its endpoints answer. `name` is its POD_NAME (Lease identity). */
export async function startReplica(
  stack: StackInfo,
  name: string,
  configFile: string,
  args: string[],
  /** Extra environment (e.g. KUBECONFIG of a per-replica proxy in front of the apiserver). */
  env: NodeJS.ProcessEnv = {},
): Promise<Replica> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `gitops-seal-${name}-`));
  const url = `http://127.0.0.1:${port}`;
  const d = await startDaemonProcess({
    name,
    args: ['--config', configFile, '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--leader-elect', ...args],
    env: { ...process.env, KUBECONFIG: stack.kube.kubeconfig, POD_NAME: name, LOG_LEVEL: 'info', ...env },
    ready: { url, path: '/healthz', timeoutMs: 60_000 },
  });
  return { name, url, proc: d.proc, process: d, dataDir };
}

export async function statusOf(r: Replica): Promise<DaemonStatus | undefined> {
  try {
    const res = await fetch(`${r.url}/status`);
    return res.ok ? ((await res.json()) as DaemonStatus) : undefined;
  } catch {
    return undefined;
  }
}

export function alive(r: Replica): boolean {
  return r.process.alive();
}

/** The replica's JSON log lines (stdout and stderr share the file; non-JSON lines are skipped). */
export function logsOf(r: Replica): Record<string, unknown>[] {
  return r.process.logLines();
}

export function signal(r: Replica, sig: NodeJS.Signals): void {
  process.kill(r.proc.pid, sig);
}

/** Exit code and signal once the process has ended. */
export async function exitOf(r: Replica): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  await r.proc.exited;
  return { code: r.proc.child.exitCode, signal: r.proc.child.signalCode };
}

/** Stops the replicas (SIGTERM, SIGKILL after 10 s) and removes their data dirs; logs stay. */
export async function stopReplicas(rs: readonly (Replica | undefined)[]): Promise<void> {
  await Promise.all(rs.map((r) => r?.process.stop(10_000)));
  for (const r of rs) if (r) rmSync(r.dataDir, { recursive: true, force: true });
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
  renewTime?: string;
}

export async function leaseSpec(kube: KubeClient, namespace: string, name: string): Promise<LeaseSpec | undefined> {
  return (await kube.getOptional<{ spec?: LeaseSpec }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`))?.spec;
}

/** When a test fails, print the tail of each replica's log (they are not in the stack's log dir). */
export function printLogsOnFailure(replicas: () => readonly (Replica | undefined)[]): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const r of replicas())
      if (r) console.error(`\n----- replica ${r.name} (${r.proc.logFile}, last 30 lines) -----\n${r.process.tail(30)}`);
  });
}
