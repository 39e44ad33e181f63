// Locating the command-line tools the tests drive directly: sops (built into the stack cache
// by build/sops.sh), age and age-keygen (Debian `age`), git (Debian `git`). A missing tool is a
// StackError that says exactly how to install it.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cachedBin, versions } from './cache.js';
import { StackError } from './procs.js';
import type { BinInfo } from './types.js';

export type ToolBins = Pick<BinInfo, 'sops' | 'age' | 'ageKeygen' | 'git'>;

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
  const v = versions().SOPS_VERSION;
  if (!v) throw new StackError('tools', 'SOPS_VERSION is missing from test/stack/versions.env');
  return v;
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
  const age = need('age', 'age');
  const ageKeygen = need('age-keygen', 'age');
  const git = need('git', 'git');
  if (missing.length > 0) {
    throw new StackError('tools', `missing tools (or run test/stack/install.sh):\n  ${missing.join('\n  ')}`);
  }
  return { sops, age, ageKeygen, git };
}
