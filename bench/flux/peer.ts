// Flux as a bench peer (issue 17): source-controller and kustomize-controller from the stack
// cache (bench/flux/build.sh), run as processes against the stack's apiserver with its kubeconfig;
// source-controller's artifact storage served on loopback. Plus the Flux objects one round needs.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, pin } from '../../test/stack/cache.js';
import { freePort, startProcess, stopProcess, waitFor, type Proc } from '../../test/stack/procs.js';
import { kcall, kget, mergePatch, type Kube } from './cluster.js';

const run = promisify(execFile);

export interface FluxBuild {
  source: { bin: string; crds: string; version: string };
  kustomize: { bin: string; crds: string; version: string };
}

/** The cached controllers at the pins of versions.env, or undefined naming what is missing. */
export function fluxBuild(): FluxBuild | string {
  const one = (component: string, pinName: string, bin: string): { bin: string; crds: string; version: string } => {
    const version = pin(pinName);
    const dir = join(cacheRoot(), `${component}-${version}`);
    return { bin: join(dir, 'bin', bin), crds: join(dir, 'crds'), version };
  };
  const b: FluxBuild = {
    source: one('flux-source-controller', 'FLUX_SOURCE_CONTROLLER_VERSION', 'source-controller'),
    kustomize: one('flux-kustomize-controller', 'FLUX_KUSTOMIZE_CONTROLLER_VERSION', 'kustomize-controller'),
  };
  for (const c of [b.source, b.kustomize]) {
    try {
      accessSync(c.bin, constants.X_OK);
    } catch {
      return `${c.bin} is not built: run bash bench/flux/build.sh (npm run bench:flux does)`;
    }
  }
  return b;
}

/** Applies the controllers' CRDs (of the same module versions) and waits until they are served. */
export async function installFluxCrds(build: FluxBuild, kubectl: string, kubeconfig: string): Promise<void> {
  for (const dir of [build.source.crds, build.kustomize.crds]) {
    await run(kubectl, [`--kubeconfig=${kubeconfig}`, 'apply', '--server-side', '--force-conflicts', '-f', dir], { maxBuffer: 1 << 26 });
  }
  await run(kubectl, [
    `--kubeconfig=${kubeconfig}`,
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/gitrepositories.source.toolkit.fluxcd.io',
    'crd/kustomizations.kustomize.toolkit.fluxcd.io',
  ]);
}

export interface RunningFlux {
  pids: number[];
  /** The two controllers' Prometheus endpoints (controller-runtime's rest_client_requests_total). */
  metrics: string[];
  procs: Proc[];
  stop(): Promise<void>;
}

/**
 * Starts both controllers: leader election off, every namespace watched, metrics and health on
 * free loopback ports, storage served (and advertised) on loopback. `namespace` is their runtime
 * namespace (Events). Resolves once both answer their health endpoints.
 */
export async function startFlux(build: FluxBuild, kubeconfig: string, namespace: string, dir: string): Promise<RunningFlux> {
  const [sm, sh, storage, km, kh] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig, RUNTIME_NAMESPACE: namespace };
  const common = ['--watch-all-namespaces=true', '--enable-leader-election=false', '--log-level=info', '--log-encoding=json'];
  const source = startProcess(
    'flux-source-controller',
    build.source.bin,
    [
      ...common,
      `--metrics-addr=127.0.0.1:${sm}`,
      `--health-addr=127.0.0.1:${sh}`,
      `--storage-path=${join(dir, 'storage')}`,
      `--storage-addr=127.0.0.1:${storage}`,
      `--storage-adv-addr=127.0.0.1:${storage}`,
    ],
    { env, logFile: join(dir, 'source-controller.log') },
  );
  const kustomize = startProcess(
    'flux-kustomize-controller',
    build.kustomize.bin,
    [...common, `--metrics-addr=127.0.0.1:${km}`, `--health-addr=127.0.0.1:${kh}`],
    { env, logFile: join(dir, 'kustomize-controller.log') },
  );
  const procs = [source, kustomize];
  const stop = async (): Promise<void> => {
    for (const p of procs) await stopProcess(p);
  };
  try {
    for (const [p, port] of [
      [source, sh],
      [kustomize, kh],
    ] as const) {
      await waitFor(`${p.name} /readyz`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { proc: p, timeoutMs: 120_000 });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { pids: procs.map((p) => p.pid), metrics: [`http://127.0.0.1:${sm}/metrics`, `http://127.0.0.1:${km}/metrics`], procs, stop };
}

/** controller-runtime's client-side request count of both controllers, by HTTP method. */
export async function fluxClientRequests(flux: RunningFlux): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const url of flux.metrics) {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith('rest_client_requests_total{')) continue;
      const method = /method="([A-Z]+)"/.exec(line)?.[1] ?? '?';
      out.set(method, (out.get(method) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return out;
}

export const SOPS_SECRET = 'sops-age';
const GIT_SECRET = 'git-auth';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The namespace of the Flux objects, with the Git credentials and the age key Secrets. */
export async function fluxNamespace(
  kube: Kube,
  ns: string,
  git: { username: string; password: string },
  ageIdentity: string,
): Promise<void> {
  await kcall(kube, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kcall(kube, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: GIT_SECRET },
    data: { username: b64(git.username), password: b64(git.password) },
  });
  // kustomize-controller reads every key ending in .agekey; our daemon reads the same key.
  await kcall(kube, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SOPS_SECRET },
    data: { 'age.agekey': b64(ageIdentity) },
  });
}

const GR = (ns: string, name = ''): string => `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories${name ? `/${name}` : ''}`;
const KS = (ns: string, name = ''): string =>
  `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations${name ? `/${name}` : ''}`;

/** A GitRepository on `branch` and a Kustomization of its root into `target`: prune on, SOPS with the age Secret. */
export async function fluxSync(
  kube: Kube,
  ns: string,
  name: string,
  url: string,
  branch: string,
  /** The Kustomization's targetNamespace; undefined: the namespaces the manifests name. */
  target: string | undefined,
  interval: string,
  path = './',
): Promise<void> {
  await kcall(kube, 'POST', GR(ns), {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace: ns },
    spec: { interval, timeout: '60s', url, ref: { branch }, secretRef: { name: GIT_SECRET } },
  });
  await kcall(kube, 'POST', KS(ns), {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: ns },
    spec: {
      interval,
      timeout: '5m',
      sourceRef: { kind: 'GitRepository', name },
      path,
      prune: true,
      wait: false,
      ...(target ? { targetNamespace: target } : {}),
      decryption: { provider: 'sops', secretRef: { name: SOPS_SECRET } },
    },
  });
}

/**
 * Flux's fast path, as `flux reconcile kustomization --with-source` takes it: the
 * reconcile.fluxcd.io/requestedAt annotation on the GitRepository, and once its artifact holds
 * `commit`, on the Kustomization (which the source's new artifact also triggers by itself).
 */
export async function fluxTrigger(kube: Kube, ns: string, name: string, commit: string): Promise<void> {
  const annotate = (path: string): Promise<unknown> =>
    mergePatch(kube, path, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } });
  await annotate(GR(ns, name));
  const t0 = performance.now();
  for (;;) {
    const gr = await kget<{ status?: { artifact?: { revision?: string } } }>(kube, GR(ns, name));
    if (gr.body?.status?.artifact?.revision?.endsWith(commit)) break;
    if (performance.now() - t0 > 120_000) throw new Error(`GitRepository ${ns}/${name} did not fetch ${commit} within 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await annotate(KS(ns, name));
}

/** The Kustomization has applied `commit` (lastAppliedRevision). */
export async function fluxApplied(kube: Kube, ns: string, name: string, commit: string): Promise<boolean> {
  const ks = await kget<{ status?: { lastAppliedRevision?: string } }>(kube, KS(ns, name));
  return ks.body?.status?.lastAppliedRevision?.endsWith(commit) ?? false;
}

/** Whether the Kustomization's last attempt was `commit` and failed, with its Ready message. */
export async function fluxAttempt(kube: Kube, ns: string, name: string, commit: string): Promise<{ failed: boolean; message: string }> {
  const ks = await kget<{ status?: { lastAttemptedRevision?: string; conditions?: { type: string; status: string; message?: string }[] } }>(
    kube,
    KS(ns, name),
  );
  const c = ks.body?.status?.conditions?.find((x) => x.type === 'Ready');
  const attempted = ks.body?.status?.lastAttemptedRevision?.endsWith(commit) ?? false;
  return { failed: attempted && c?.status === 'False', message: c ? `Ready=${c.status}: ${c.message ?? ''}` : 'no Ready condition yet' };
}

/**
 * Removes a round's Flux objects without garbage collection (prune off first): the namespaces are
 * deleted by the caller, and the shared CRD must survive for the other tool and later rounds.
 */
export async function fluxRemove(kube: Kube, ns: string, name: string): Promise<void> {
  await mergePatch(kube, KS(ns, name), { spec: { prune: false, suspend: true } }).catch(() => undefined);
  await kcall(kube, 'DELETE', KS(ns, name)).catch(() => undefined);
  await kcall(kube, 'DELETE', GR(ns, name)).catch(() => undefined);
}

export async function fluxSuspend(kube: Kube, ns: string, name: string, suspend: boolean): Promise<void> {
  await mergePatch(kube, GR(ns, name), { spec: { suspend } });
  await mergePatch(kube, KS(ns, name), { spec: { suspend } });
}
