// The daemon as a child process for the render tests (test/e2e/render-*.int.test.ts and the
// canary suite): `gitops-seal-daemon` on a DaemonConfig with one Git source `repo` (credentials
// and a generic webhook secret by env reference), the stack's cached kustomize and helm through
// GITOPS_SEAL_KUSTOMIZE / GITOPS_SEAL_HELM, LOG_LEVEL=debug, its own data dir under `workDir`.
// Waiters read /status only: "applied" = appliedRevision starts with the commit (a Helm sync's
// revision is `<commit>+<chart identity>`), "refused" = that commit's attempt failed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { DaemonStatus, SyncStatus } from '../../daemon/status/index.js';
import { signBody } from '../../daemon/webhook/verify.js';
import { freePort } from '../stack/procs.js';
import { findRenderers } from '../stack/tools.js';
import type { StackInfo } from '../stack/types.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';

export interface RenderDaemonOptions {
  name: string;
  /** The Git repository's URL (source `repo`). */
  repoUrl: string;
  syncs: object[];
  /** Extra environment of the child (credential references of the syncs). */
  env?: Record<string, string>;
  /** Source polling interval (default 1h: the tests poke the webhook). */
  interval?: string;
}

type Sync = SyncStatus;
const run = promisify(execFile);

/**
 * The DaemonConfig of the render tests: source `repo` (credentials from RENDER_GIT_USER /
 * RENDER_GIT_PASSWORD, generic webhook secret from RENDER_HOOK_SECRET) and the given syncs.
 */
export function renderConfig(repoUrl: string, syncs: object[], interval = '1h'): object {
  return {
    apiVersion: 'gitops-seal.io/v1alpha1',
    kind: 'DaemonConfig',
    spec: {
      sources: [
        {
          name: 'repo',
          url: repoUrl,
          ref: { branch: 'main' },
          interval,
          credentials: { usernameFrom: { env: 'RENDER_GIT_USER' }, passwordFrom: { env: 'RENDER_GIT_PASSWORD' } },
          webhook: { type: 'generic', secretFrom: { env: 'RENDER_HOOK_SECRET' } },
        },
      ],
      syncs,
    },
  };
}

export class RenderDaemon {
  private constructor(
    readonly child: DaemonProcess,
    readonly url: string,
    readonly workDir: string,
    readonly dataDir: string,
    readonly configFile: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly hookSecret: string,
    private readonly syncNames: string[],
  ) {}

  static async start(stack: StackInfo, o: RenderDaemonOptions): Promise<RenderDaemon> {
    const workDir = mkdtempSync(join(tmpdir(), `gitops-seal-render-e2e-${o.name}-`));
    chmodSync(workDir, 0o700);
    const dataDir = join(workDir, 'data');
    const configFile = join(workDir, 'daemon.yaml');
    const hookSecret = randomBytes(16).toString('hex');
    const { kustomize, helm } = findRenderers();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'debug',
      GITOPS_SEAL_KUSTOMIZE: kustomize,
      GITOPS_SEAL_HELM: helm,
      RENDER_GIT_USER: stack.git.username,
      RENDER_GIT_PASSWORD: stack.git.password,
      RENDER_HOOK_SECRET: hookSecret,
      ...o.env,
    };
    writeFileSync(configFile, stringify(renderConfig(o.repoUrl, o.syncs, o.interval ?? '1h')));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = await startDaemonProcess({
      name: `render-${o.name}-${port}`,
      args: ['--config', configFile, '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir],
      env,
      runner: 'bundle',
      ready: { url, path: '/status', timeoutMs: 60_000 },
    });
    const names = o.syncs.map((s) => (s as { name: string }).name);
    return new RenderDaemon(child, url, workDir, dataDir, configFile, env, hookSecret, names);
  }

  async status(): Promise<DaemonStatus> {
    const res = await fetch(`${this.url}/status`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`/status -> ${res.status}`);
    return (await res.json()) as DaemonStatus;
  }

  async sync(name: string): Promise<Sync | undefined> {
    return (await this.status()).syncs.find((s) => s.name === name) as Sync | undefined;
  }

  /** A signed generic webhook: the daemon fetches now. */
  async poke(): Promise<void> {
    const body = Buffer.from('{}');
    const r = await fetch(`${this.url}/hooks/repo`, { method: 'POST', body, headers: { 'x-signature': signBody(this.hookSecret, body) } });
    if (r.status !== 202) throw new Error(`webhook -> ${r.status}`);
  }

  /** Polls until `pred` holds for the sync's status; fails early (with the log's tail) if the child died. */
  async until(what: string, name: string, pred: (s: Sync) => boolean, timeoutMs = 60_000): Promise<Sync> {
    const deadline = Date.now() + timeoutMs;
    let last: Sync | undefined;
    for (;;) {
      if (!this.child.alive()) throw new Error(`daemon exited while waiting for ${what}:\n${this.child.tail(30)}`);
      last = await this.sync(name).catch(() => last);
      if (last && pred(last)) return last;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; ${name} status: ${JSON.stringify(last)}\n${this.child.tail(15)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  applied(name: string, commit: string, timeoutMs?: number): Promise<Sync> {
    return this.until(
      `${name} to apply ${commit.slice(0, 12)}`,
      name,
      (s) => (s.appliedRevision ?? '').startsWith(commit) && !s.lastError,
      timeoutMs,
    );
  }

  /** The sync tried `commit` and failed; its lastError is that attempt's. */
  refused(name: string, commit: string, timeoutMs?: number): Promise<Sync> {
    return this.until(
      `${name} to refuse ${commit.slice(0, 12)}`,
      name,
      (s) =>
        (s.attemptedRevision ?? '').startsWith(commit) &&
        s.lastError !== undefined &&
        ((s.lastError.revision ?? '').startsWith(commit) || s.lastError.message.includes(commit.slice(0, 12))),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.child.stop(10_000);
  }

  remove(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /**
   * After the tests: stop, then remove (best effort) what they left on the SHARED cluster — the
   * given namespaces and every sync's inventory — and the work dir.
   */
  async teardown(stack: StackInfo, namespaces: string[]): Promise<void> {
    await this.stop();
    const kubectl = (args: string[]): Promise<unknown> =>
      run(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args]).catch(() => undefined);
    for (const n of namespaces) await kubectl(['delete', 'namespace', n, '--wait=false', '--ignore-not-found']);
    for (const s of this.syncNames)
      await kubectl(['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']);
    this.remove();
  }
}
