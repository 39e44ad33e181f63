// Sharded daemon replicas as real processes (daemon/main.ts `--shards N`), for the shards bench
// (bench/shards.ts): each with its own data dir, port, POD_NAME and `--advertise-url`, the given
// kubeconfig as its home cluster (where the shard Leases live). Unlike test/e2e/replicas.ts this
// needs no test runner, and a replica killed with SIGKILL can be started again on the same port
// and data dir — a container restarted in its pod.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../stack/procs.js';
import { startDaemonProcess, type DaemonProcess, type DaemonRunner } from './daemon-process.js';

export interface FleetOptions {
  /** The DaemonConfig file every replica runs. */
  configFile: string;
  /** The home cluster's kubeconfig: shard and member Leases. */
  kubeconfig: string;
  /** --leader-election-id (the Lease group) and its namespace. */
  group: string;
  namespace: string;
  /** --shards N or auto. */
  shards: string;
  /** Extra environment of every replica (e.g. git credentials the config names). */
  env?: NodeJS.ProcessEnv;
  /** Where the replicas' logs go (default a temp dir). */
  logDir?: string;
  runner?: DaemonRunner;
}

interface Member {
  identity: string;
  port: number;
  dataDir: string;
  process?: DaemonProcess;
  /** Set by kill() and stop(): the exit that follows was asked for. */
  stopping?: boolean;
}

/** A replica that ended without being killed or stopped, and the last error its log names. */
export interface UnexpectedExit {
  identity: string;
  at: number;
  code: number | null;
  reason: string;
}

export class ReplicaFleet {
  private readonly members = new Map<string, Member>();
  readonly exits: UnexpectedExit[] = [];
  readonly logDir: string;

  constructor(private readonly opts: FleetOptions) {
    this.logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'gitops-seal-fleet-logs-'));
  }

  /** Starts replica `identity` (its POD_NAME), again on its old port and data dir after a kill. */
  async start(identity: string): Promise<void> {
    let m = this.members.get(identity);
    if (!m) {
      m = { identity, port: await freePort(), dataDir: mkdtempSync(join(tmpdir(), `gitops-seal-${identity}-`)) };
      this.members.set(identity, m);
    }
    if (m.process?.alive()) throw new Error(`replica ${identity} is already running (pid ${m.process.pid})`);
    const url = this.url(identity);
    m.stopping = false;
    const member = m;
    const d = await startDaemonProcess({
      name: identity,
      runner: this.opts.runner ?? 'bundle',
      logFile: join(this.logDir, `${identity}.log`),
      args: [
        ...['--config', this.opts.configFile, '--data-dir', m.dataDir, '--listen', `127.0.0.1:${m.port}`],
        ...['--shards', this.opts.shards, '--advertise-url', url],
        ...['--leader-election-namespace', this.opts.namespace, '--leader-election-id', this.opts.group],
      ],
      env: { ...process.env, ...this.opts.env, KUBECONFIG: this.opts.kubeconfig, POD_NAME: identity, LOG_LEVEL: 'info' },
      ready: { url, path: '/healthz', timeoutMs: 120_000 },
    });
    member.process = d;
    void d.proc.exited.then(() => {
      if (member.stopping) return;
      const errors = d.logLines().filter((l) => Number(l.level) >= 50);
      const last = errors[errors.length - 1];
      const reason = last ? `${String(last.msg)}${last.reason ? `: ${String(last.reason)}` : ''}` : d.tail(1);
      this.exits.push({ identity, at: Date.now(), code: d.proc.child.exitCode, reason });
    });
  }

  /** SIGKILL to the replica's process group: no shutdown handler, no Lease release. */
  async kill(identity: string): Promise<void> {
    const m = this.members.get(identity);
    if (m) m.stopping = true;
    await m?.process?.kill();
  }

  url(identity: string): string {
    const m = this.members.get(identity);
    if (!m) throw new Error(`no replica ${identity}`);
    return `http://127.0.0.1:${m.port}`;
  }

  /** Identities of the replicas running now. */
  live(): string[] {
    return [...this.members.values()].filter((m) => m.process?.alive()).map((m) => m.identity);
  }

  /** The replica's process id (node itself: the daemon runs in the process it was spawned as). */
  pid(identity: string): number | undefined {
    return this.members.get(identity)?.process?.pid;
  }

  logFile(identity: string): string | undefined {
    return this.members.get(identity)?.process?.logFile;
  }

  /**
   * SIGTERM to every running replica (SIGKILL after `graceMs`), then their data dirs go (git
   * caches of every source: tens of MB each). The logs stay in `logDir` for a failure's reader.
   */
  async stop(graceMs = 10_000): Promise<void> {
    for (const m of this.members.values()) m.stopping = true;
    await Promise.all([...this.members.values()].map((m) => m.process?.stop(graceMs)));
    for (const m of this.members.values()) rmSync(m.dataDir, { recursive: true, force: true });
  }
}
