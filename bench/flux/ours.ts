// gitops-seal as the other side of bench/flux.ts: the daemon as a child process (daemon/main.ts,
// bundled: what `gitops-seal-daemon` runs, without tsx's in-process compiler in its RSS), one
// source and one sync per round, the age key read from the same Secret Flux reads, triggered by
// its webhook.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../test/stack/procs.js';
import { startDaemonProcess, type DaemonProcess } from '../../test/support/daemon-process.js';

export interface OurSync {
  name: string;
  url: string;
  branch: string;
  /** Where the manifests go; undefined: the namespaces they name (a Kustomize overlay). */
  targetNamespace?: string;
  /** One sync per path (default `.`), named `<name>` for one path, else `<name>-<i>`. */
  paths?: string[];
  /** Where the age identity lives: the Secret Flux's Kustomization references. */
  ageSecret: { namespace: string; name: string; key: string };
  interval: string;
  kubeconfig: string;
  git: { username: string; password: string };
}

export interface RunningOurs {
  daemon: DaemonProcess;
  url: string;
  /** POST /hooks/bench, signed: a fetch of the source and a reconcile of a new commit. */
  trigger(): Promise<void>;
  stop(): Promise<void>;
}

const WEBHOOK_SECRET = 'flux-bench-webhook-secret';

export async function startOurs(s: OurSync, dir: string): Promise<RunningOurs> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const paths = s.paths ?? ['.'];
  const config = {
    apiVersion: 'gitops-seal.io/v1alpha1',
    kind: 'DaemonConfig',
    metadata: { name: 'flux-bench' },
    spec: {
      listen: `127.0.0.1:${port}`,
      sources: [
        {
          name: 'bench',
          url: s.url,
          ref: { branch: s.branch },
          interval: s.interval,
          credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
          webhook: { type: 'generic', secretFrom: { env: 'BENCH_WEBHOOK_SECRET' } },
        },
      ],
      syncs: paths.map((path, i) => ({
        name: paths.length === 1 ? s.name : `${s.name}-${i}`,
        source: 'bench',
        path,
        interval: s.interval,
        prune: true,
        ...(s.targetNamespace ? { targetNamespace: s.targetNamespace } : {}),
        kubeconfig: { file: s.kubeconfig },
        decryption: { age: { identitiesFrom: [{ secret: s.ageSecret }] } },
      })),
    },
  };
  const file = join(dir, `${s.name}.yaml`);
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const daemon = await startDaemonProcess({
    name: `gitops-seal-${s.name}`,
    args: ['--config', file, '--data-dir', join(dir, `${s.name}-data`)],
    runner: 'bundle',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      BENCH_GIT_USER: s.git.username,
      BENCH_GIT_PASSWORD: s.git.password,
      BENCH_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    logFile: join(dir, `${s.name}.log`),
    ready: { url, path: '/healthz', timeoutMs: 120_000 },
  });
  const trigger = async (): Promise<void> => {
    const body = Buffer.from('{}');
    const res = await fetch(`${url}/hooks/bench`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    if (res.status !== 202) throw new Error(`webhook of ${s.name}: HTTP ${res.status} ${await res.text()}`);
  };
  return { daemon, url, trigger, stop: () => daemon.stop() };
}

/** Every sync has applied `commit` (/status appliedRevision). */
export async function ourApplied(o: RunningOurs, commit: string): Promise<boolean> {
  const st = (await (await fetch(`${o.url}/status`)).json()) as { syncs?: { appliedRevision?: string }[] };
  return (st.syncs?.length ?? 0) > 0 && (st.syncs ?? []).every((x) => x.appliedRevision === commit);
}

/** Whether the sync refused `commit`, with the refusal's stage and message from /status. */
export async function ourAttempt(o: RunningOurs, commit: string): Promise<{ failed: boolean; message: string }> {
  const st = (await (await fetch(`${o.url}/status`)).json()) as {
    syncs?: { lastError?: { stage?: string; message?: string; revision?: string } }[];
  };
  const e = st.syncs?.[0]?.lastError;
  return { failed: e?.revision === commit, message: e ? `${e.stage ?? '?'}: ${e.message ?? ''}` : 'no error' };
}
