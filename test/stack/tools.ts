// Locating the command-line tools the tests drive directly: sops (built into the stack cache
// by build/sops.sh), age and age-keygen, git (Debian `git`), and the renderers kustomize and
// helm (build/kustomize.sh, build/helm.sh), and kubeseal (build/kubeseal.sh: the real Sealed
// Secrets client the migration tests seal and recovery-unseal with). A missing tool is a StackError that says exactly
// how to install it.
//
// age: the cached build of build/age.sh (age >= 1.3, post-quantum hybrid `age1pq1...`
// recipients) when present, else Debian's age 1.1.1, which has no post-quantum support.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cachedBin, pin } from './cache.js';
import { StackError } from './procs.js';
import type { BinInfo } from './types.js';

export type ToolBins = Pick<BinInfo, 'sops' | 'age' | 'ageKeygen' | 'git'>;
export type RendererBins = Pick<BinInfo, 'kustomize' | 'helm'>;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable `name` on PATH (plus /usr/bin, for runners with a minimal PATH). */
export function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d.length > 0);
  for (const dir of [...dirs, '/usr/local/bin', '/usr/bin']) {
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  return undefined;
}

export function sopsVersion(): string {
  return pin('SOPS_VERSION');
}

export function ageVersion(): string {
  return pin('AGE_VERSION');
}

export function kustomizeVersion(): string {
  return pin('KUSTOMIZE_VERSION');
}

export function helmVersion(): string {
  return pin('HELM_VERSION');
}

export function kubesealVersion(): string {
  return pin('KUBESEAL_VERSION');
}

/** The cached kubeseal build (seals offline with `--cert`; `--recovery-unseal` with a key file). */
export function findKubeseal(): string {
  const bin = cachedBin('kubeseal', kubesealVersion(), 'kubeseal');
  if (!executable(bin))
    throw new StackError('tools', `kubeseal ${kubesealVersion()} (${bin}): run test/stack/build/kubeseal.sh (needs Go)`);
  return bin;
}

/**
 * The cached renderer builds at the pinned versions. Tests hand these paths to the daemon's
 * render code explicitly (the daemon itself looks on PATH or at GITOPS_SEAL_KUSTOMIZE /
 * GITOPS_SEAL_HELM; see daemon/render/README.md), so a test never renders with whatever
 * kustomize happens to be installed.
 */
export function findRenderers(): RendererBins {
  const missing: string[] = [];
  const bins = { kustomize: '', helm: '' };
  for (const name of ['kustomize', 'helm'] as const) {
    try {
      bins[name] = findRenderer(name);
    } catch (err) {
      missing.push((err as StackError).message.replace(/^\[stack:tools\] /, ''));
    }
  }
  if (missing.length > 0) throw new StackError('tools', `missing renderers (or run test/stack/install.sh):\n  ${missing.join('\n  ')}`);
  return bins;
}

/** One renderer's cached build (a kustomize test need not wait for helm's build). */
export function findRenderer(name: 'kustomize' | 'helm'): string {
  const version = name === 'kustomize' ? kustomizeVersion() : helmVersion();
  const bin = cachedBin(name, version, name);
  if (!executable(bin)) throw new StackError('tools', `${name} ${version} (${bin}): run test/stack/build/${name}.sh (needs Go)`);
  return bin;
}

/** The cached age >= 1.3 build, if build/age.sh has run. */
export function cachedAge(): { age: string; ageKeygen: string } | undefined {
  const age = cachedBin('age', ageVersion(), 'age');
  const ageKeygen = cachedBin('age', ageVersion(), 'age-keygen');
  return executable(age) && executable(ageKeygen) ? { age, ageKeygen } : undefined;
}

/** True when these age tools support post-quantum hybrid keys (`age-keygen -pq`, age >= 1.3). */
export function ageSupportsPq(bins: Pick<ToolBins, 'age' | 'ageKeygen'>): boolean {
  const pq = cachedAge();
  return pq !== undefined && pq.ageKeygen === bins.ageKeygen;
}

export function findTools(): ToolBins {
  const missing: string[] = [];
  const sops = cachedBin('sops', sopsVersion(), 'sops');
  if (!executable(sops)) missing.push(`sops ${sopsVersion()} (${sops}): run test/stack/build/sops.sh (needs Go)`);
  const need = (bin: string, pkg: string): string => {
    const p = onPath(bin);
    if (!p) missing.push(`${bin}: apt-get install -y ${pkg}`);
    return p ?? bin;
  };
  const built = cachedAge();
  const age = built?.age ?? need('age', 'age (or run test/stack/build/age.sh for age >= 1.3)');
  const ageKeygen = built?.ageKeygen ?? need('age-keygen', 'age (or run test/stack/build/age.sh for age >= 1.3)');
  const git = need('git', 'git');
  if (missing.length > 0) {
    throw new StackError('tools', `missing tools (or run test/stack/install.sh):\n  ${missing.join('\n  ')}`);
  }
  return { sops, age, ageKeygen, git };
}
