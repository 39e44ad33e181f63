// Fault controls over PRIVATE stack components (never the shared stack other tests use):
// crash and restart a kube-apiserver on the same port and etcd data, seal and unseal a Vault
// dev server. Processes are addressed by PID only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { kubeRequest } from './kube.js';
import { vaultApi } from './openbao.js';
import { startProcess, stopProcess, StackError, waitFor, type Proc } from './procs.js';
import type { KubeInfo, VaultInfo } from './types.js';

/** argv of a live process from /proc (Linux). */
function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    // A zombie has exited: its state letter is Z.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The PID of the kube-apiserver serving `info.server` (its --secure-port is unique). */
export function findApiserverPid(info: Pick<KubeInfo, 'server'>): number {
  const port = new URL(info.server).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = cmdline(Number(entry));
    if (argv?.[1] === 'kube-apiserver' && argv.includes(`--secure-port=${port}`)) return Number(entry);
  }
  throw new StackError('kube', `no kube-apiserver process serves ${info.server}`);
}

export interface ApiserverControl {
  /** SIGKILL the apiserver (a crash: no graceful shutdown); resolves once it is gone. */
  kill(): Promise<void>;
  /** Start it again with the same arguments (same port, same etcd) and wait for /readyz. */
  restart(): Promise<void>;
  /** Stop the restarted process, if any (the cluster's own stop() knows only the first one). */
  stop(): Promise<void>;
}

/** Control of a private cluster's apiserver (started by startKube in this process). */
export function apiserverControl(info: KubeInfo): ApiserverControl {
  const pid0 = findApiserverPid(info);
  const argv = cmdline(pid0);
  if (!argv?.[0]) throw new StackError('kube', `cannot read the arguments of kube-apiserver ${pid0}`);
  let current: Proc | undefined;
  let pid = pid0;
  let restarts = 0;
  return {
    async kill() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await waitFor(`kube-apiserver ${pid} to exit`, async () => !alive(pid), { timeoutMs: 15_000, intervalMs: 20 });
    },
    async restart() {
      restarts++;
      current = startProcess(`kube-apiserver-restart-${restarts}`, argv[0] ?? '', argv.slice(1));
      pid = current.pid;
      await waitFor('restarted kube-apiserver /readyz', async () => (await kubeRequest(info, '/readyz')).status === 200, {
        proc: current,
        timeoutMs: 120_000,
        intervalMs: 100,
      });
    },
    async stop() {
      if (current) await stopProcess(current);
    },
  };
}

/** Seal a Vault/OpenBao server (root token); every transit call then fails with 503 "Vault is sealed". */
export async function sealVault(v: Pick<VaultInfo, 'addr' | 'rootToken'>): Promise<void> {
  await vaultApi(v.addr, v.rootToken, 'PUT', 'sys/seal');
  await waitFor('vault sealed', async () => await vaultSealed(v), { timeoutMs: 15_000, intervalMs: 100 });
}

/** Unseal with the key (a dev server has one key, threshold 1) and wait until it is active again. */
export async function unsealVault(v: Pick<VaultInfo, 'addr' | 'rootToken'>, key: string): Promise<void> {
  await vaultApi(v.addr, v.rootToken, 'PUT', 'sys/unseal', { key });
  await waitFor(
    'vault unsealed and active',
    async () => {
      const res = await fetch(`${v.addr}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

export async function vaultSealed(v: Pick<VaultInfo, 'addr'>): Promise<boolean> {
  const res = await fetch(`${v.addr}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { sealed?: boolean };
  return body.sealed === true;
}

/**
 * The dev server prints its single unseal key at start-up ("Unseal Key: <base64>"). Its stdout
 * reaches the log file through a pipe, possibly after the server already answers health checks,
 * so the line is waited for.
 */
export async function devUnsealKey(logFile: string, timeoutMs = 15_000): Promise<string> {
  let key: string | undefined;
  await waitFor(
    `"Unseal Key:" in ${logFile}`,
    async () => {
      // The last one: a log file can be appended to by an earlier run of the same name.
      key = [...readFileSync(logFile, 'utf8').matchAll(/Unseal Key: (\S+)/g)].at(-1)?.[1];
      return key !== undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (!key) throw new StackError('openbao', `no "Unseal Key:" line in ${logFile}`, logFile);
  return key;
}
