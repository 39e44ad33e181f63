// What the real tools make of a repository, to compare with what the daemon applied: the tree
// is written with its encrypted files replaced by their plaintext (a 0700 temp dir, removed
// before returning; tests that sweep for canaries exclude its prefix), then `kustomize build` /
// `helm template` run on it and the output is read by the daemon's own manifest reader.
//
// `expectLive` checks the cluster against that reference: the set of objects the sync owns
// (label gitops-seal.io/sync) equals the reference's set, every reference object is a subset of
// its live object (the apiserver adds defaults), and a Secret's data — `stringData` folded into
// `data` as the apiserver does — equals the live data exactly. Secrets are read through the API
// here, in the test only.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { readManifests } from '../../daemon/manifests/index.js';
import type { KubeObject } from '../../daemon/kube/types.js';
import type { StackInfo } from '../stack/types.js';

const run = promisify(execFile);

/** Temp dirs made here start with this (exclude it from canary sweeps run in the same process). */
export const REFERENCE_PREFIX = join(tmpdir(), 'gitops-seal-reference-');

async function withPlainTree<T>(files: Record<string, string>, plain: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(REFERENCE_PREFIX);
  chmodSync(dir, 0o700);
  try {
    for (const [path, text] of Object.entries({ ...files, ...plain })) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text, { mode: 0o600 });
    }
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const read = (text: string): KubeObject[] => readManifests([{ path: 'reference.yaml', text }]).objects.map((o) => o.object as KubeObject);

/** `kustomize build <path>` of the plaintext tree. */
export function kustomizeReference(
  kustomize: string,
  files: Record<string, string>,
  plain: Record<string, string>,
  path: string,
): Promise<KubeObject[]> {
  return withPlainTree(files, plain, async (dir) => {
    const { stdout } = await run(kustomize, ['build', path], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, maxBuffer: 64 << 20 });
    return read(stdout);
  });
}

export interface HelmReferenceOptions {
  /** A chart dir of the tree, or a packaged chart (.tgz path). */
  chart: string;
  release: string;
  namespace: string;
  /** Repo-relative values files, in order. */
  valuesFiles: string[];
}

/** `helm template` of the plaintext tree; namespaced objects get the release namespace, as the daemon sets it. */
export function helmReference(
  helm: string,
  files: Record<string, string>,
  plain: Record<string, string>,
  o: HelmReferenceOptions,
): Promise<KubeObject[]> {
  return withPlainTree(files, plain, async (dir) => {
    const args = ['template', o.release, o.chart.endsWith('.tgz') ? o.chart : join(dir, o.chart), '--namespace', o.namespace];
    for (const v of o.valuesFiles) args.push('--values', join(dir, v));
    const { stdout } = await run(helm, args, {
      cwd: dir,
      env: { PATH: '/usr/bin:/bin', HOME: dir, XDG_CACHE_HOME: join(dir, '.cache'), XDG_CONFIG_HOME: join(dir, '.config') },
      maxBuffer: 64 << 20,
    });
    return read(stdout).map((obj) =>
      obj.kind === 'Namespace' || obj.metadata.namespace ? obj : { ...obj, metadata: { ...obj.metadata, namespace: o.namespace } },
    );
  });
}

export const keyOf = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** A Secret's data as the apiserver stores it: stringData folded into data, base64 on one line. */
export function secretData(o: KubeObject): Record<string, string> {
  // Re-encoded: kustomize wraps long base64 values of file sources at 76 columns; the apiserver does not.
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries((o.data as Record<string, string> | undefined) ?? {}))
    data[k] = Buffer.from(v, 'base64').toString('base64');
  for (const [k, v] of Object.entries((o.stringData as Record<string, string> | undefined) ?? {}))
    data[k] = Buffer.from(v).toString('base64');
  return data;
}

const OWNED_KINDS = 'namespaces,configmaps,secrets,services,deployments.apps';

/** Keys of the objects of the kinds above that carry the sync's label. */
export async function ownedKeys(stack: StackInfo, sync: string): Promise<string[]> {
  const { stdout } = await run(
    stack.bins.kubectl,
    [`--kubeconfig=${stack.kube.kubeconfig}`, 'get', OWNED_KINDS, '-A', '-l', `gitops-seal.io/sync=${sync}`, '-o', 'json'],
    { maxBuffer: 64 << 20 },
  );
  return (JSON.parse(stdout) as { items: KubeObject[] }).items.map(keyOf).sort();
}

async function live(stack: StackInfo, o: KubeObject): Promise<KubeObject> {
  const args = ['get', o.kind === 'Deployment' ? 'deployments.apps' : o.kind.toLowerCase(), o.metadata.name ?? '', '-o', 'json'];
  if (o.metadata.namespace) args.push('-n', o.metadata.namespace);
  const { stdout } = await run(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as KubeObject;
}

/** The cluster holds exactly `reference` for `sync` (see the header). */
export async function expectLive(stack: StackInfo, sync: string, reference: KubeObject[]): Promise<void> {
  expect(await ownedKeys(stack, sync)).toEqual(reference.map(keyOf).sort());
  for (const ref of reference) {
    const got = await live(stack, ref);
    const { stringData: _s, data: _d, ...rest } = ref;
    expect(got, keyOf(ref)).toMatchObject(ref.kind === 'Secret' ? rest : ref);
    if (ref.kind === 'Secret') expect(got.data ?? {}, keyOf(ref)).toEqual(secretData(ref));
  }
}
