// Shared by the fault-injection tests (faults-*.int.test.ts): the daemon as a real child
// process, /status reads, the invariants every fault must leave intact (no orphan, inventory
// equal to Git, no duplicate write-back commit, linear history = no force-push) and a
// recorder of the measured figures (FAULTS.md is written from them).
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../stack/procs.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';
import type { DaemonStatus, SyncStatus } from '../../daemon/status/index.js';
import { parseEntry } from '../../daemon/inventory/entry.js';

const run = promisify(execFile);

export const SYNC_LABEL = 'gitops-seal.io/sync';

/** Soak mode (SOAK=1): longer loops, same assertions. */
export const SOAK = process.env.SOAK === '1';

/** Fetch /status of a daemon (in-process or child) by URL. */
export async function status(url: string): Promise<DaemonStatus> {
  const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/status -> ${res.status}`);
  return (await res.json()) as DaemonStatus;
}

export function syncOf(st: DaemonStatus, name: string): SyncStatus | undefined {
  return st.syncs.find((s) => s.name === name);
}

/** The daemon as `gitops-seal-daemon` runs in production: its own process, killable at any instant. */
export class DaemonChild {
  process: DaemonProcess | undefined;
  starts = 0;
  private constructor(
    readonly configFile: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(config: object, env: NodeJS.ProcessEnv = {}): Promise<DaemonChild> {
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-faults-daemon-'));
    const configFile = join(dir, 'daemon.yaml');
    writeFileSync(configFile, stringify(config));
    return new DaemonChild(configFile, join(dir, 'data'), await freePort(), { ...process.env, ...env });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Start (the esbuild bundle: the test restarts it many times) and wait until /status answers. */
  async start(): Promise<void> {
    this.starts++;
    this.process = await startDaemonProcess({
      name: `faults-daemon-${this.port}-${this.starts}`,
      args: ['--config', this.configFile, '--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`],
      env: this.env,
      runner: 'bundle',
      ready: { url: this.url, path: '/status', timeoutMs: 60_000, intervalMs: 100 },
    });
  }

  /** SIGKILL: no shutdown handler runs, whatever was in flight is cut. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  alive(): boolean {
    return this.process?.alive() ?? false;
  }

  /** Delete the config and data directory (after stop). */
  remove(): void {
    rmSync(dirname(this.configFile), { recursive: true, force: true });
  }

  /** Graceful stop (SIGTERM) for teardown. */
  async stop(): Promise<void> {
    await this.process?.stop(5000);
  }
}

export interface KubeAccess {
  kubectl: string;
  kubeconfig: string;
}

export async function kubectlIn(k: KubeAccess, args: string[]): Promise<string> {
  return (await run(k.kubectl, [`--kubeconfig=${k.kubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** Every object of `kinds` carrying our sync label, as sorted `Kind/namespace/name`. */
export async function ownedObjects(k: KubeAccess, sync: string, kinds = 'configmaps,secrets,deployments'): Promise<string[]> {
  const out = JSON.parse(await kubectlIn(k, ['get', kinds, '-A', '-l', `${SYNC_LABEL}=${sync}`, '-o', 'json'])) as {
    items: { kind: string; metadata: { namespace?: string; name: string; deletionTimestamp?: string } }[];
  };
  return out.items
    .filter((i) => !i.metadata.deletionTimestamp)
    .map((i) => `${i.kind}/${i.metadata.namespace ?? ''}/${i.metadata.name}`)
    .sort();
}

/** The inventory's entries as sorted `Kind/namespace/name` (same form as ownedObjects). */
export async function inventoryObjects(k: KubeAccess, sync: string, namespace = 'gitops-seal-system'): Promise<string[]> {
  let raw: string;
  try {
    raw = await kubectlIn(k, ['get', 'configmap', `gitops-seal-inventory-${sync}`, '-n', namespace, '-o', 'jsonpath={.data.entries}']);
  } catch {
    return [];
  }
  return raw
    .split('\n')
    .filter((l) => l !== '')
    .map(parseEntry) // names may hold "_" (escaped in the entry): never split by hand
    .map((e) => `${e.kind}/${e.namespace}/${e.name}`)
    .sort();
}

/** Best-effort removal of what a test left on the SHARED cluster (its namespace and inventory). */
export async function cleanupShared(k: KubeAccess, namespace: string, sync: string): Promise<void> {
  await kubectlIn(k, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']).catch(() => '');
  await kubectlIn(k, ['delete', 'configmap', `gitops-seal-inventory-${sync}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
    () => '',
  );
}

/** Orphans: objects with our label that Git does not declare (expected = `Kind/ns/name`). */
export function orphans(owned: string[], expected: string[]): string[] {
  const want = new Set(expected);
  return owned.filter((o) => !want.has(o));
}

/** git in a directory, stdout trimmed. */
export async function git(dir: string, args: string[]): Promise<string> {
  return (await run('git', ['-C', dir, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

/** Commits of `ref`, newest first, each with its parents: a merge or a root other than the first is not linear. */
export async function history(dir: string, ref: string): Promise<{ sha: string; parents: string[]; author: string; subject: string }[]> {
  const out = await git(dir, ['log', '--format=%H %P%x09%ae%x09%s', ref]);
  return out
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const [ids = '', author = '', subject = ''] = l.split('\t');
      const [sha = '', ...parents] = ids.trim().split(' ');
      return { sha, parents, author, subject };
    });
}

/** True when `older` is an ancestor of `newer` (a force-push would break this). */
export async function isAncestor(dir: string, older: string, newer: string): Promise<boolean> {
  return run('git', ['-C', dir, 'merge-base', '--is-ancestor', older, newer]).then(
    () => true,
    () => false,
  );
}

/**
 * The image tags each write-back commit (by `authorEmail`) set, in commit order: a tag that
 * appears twice is a duplicate write-back.
 */
export async function bumpedTags(dir: string, ref: string, authorEmail: string, image: string): Promise<string[]> {
  const tags: string[] = [];
  for (const c of (await history(dir, ref)).reverse()) {
    if (c.author !== authorEmail) continue;
    const diff = await git(dir, ['show', '--format=', '-U0', c.sha]);
    for (const line of diff.split('\n')) {
      if (!line.startsWith('+') || line.startsWith('+++')) continue;
      const i = line.indexOf(`${image}:`);
      if (i >= 0) tags.push(line.slice(i + image.length + 1).split(/[\s#@"']/)[0] ?? '');
    }
  }
  return tags;
}

/** Poll until `check` holds; resolves with the elapsed milliseconds. */
export async function converge(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - t0;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`not converged within ${timeoutMs} ms: ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Start a private component, once more if the first start fails: free ports are picked and
 * released before the server binds them, and with other tests starting servers on the same
 * machine a port is now and then taken in between ("bind: address already in use").
 */
export async function startWithRetry<T>(what: string, start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts) throw err;
      console.warn(
        `[faults] ${what}: start attempt ${i} failed, retrying: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
}

/** One measured figure for FAULTS.md: printed, and appended to $FAULTS_RESULTS (JSON lines) when set. */
export function record(fault: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ fault, at: new Date().toISOString(), soak: SOAK, ...figures });
  console.log(`[faults] ${line}`);
  const file = process.env.FAULTS_RESULTS;
  if (file) appendFileSync(file, `${line}\n`);
}

export function configMap(name: string, namespace: string, data: Record<string, string>): string {
  return stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
}

export function namespaceYaml(name: string): string {
  return stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** One YAML stream of many ConfigMaps (one file keeps pushes and fetches small). */
export function configMaps(names: string[], namespace: string, data: Record<string, string>): string {
  return names.map((n) => configMap(n, namespace, data)).join('---\n');
}

export function daemonConfig(spec: object): object {
  return { apiVersion: 'gitops-seal.io/v1alpha1', kind: 'DaemonConfig', spec };
}
