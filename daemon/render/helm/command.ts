// The `helm template` command line of a render, and how its values reach helm without a file.
//
// Values travel through descriptors 3, 4, … (render/tool.ts `inputs`). libuv makes those socket
// pairs, and helm opens its `-f` paths (os.ReadFile): open("/dev/fd/3") on a socket is ENXIO.
// So helm is started by bash, whose process substitution `<(exec cat <&3)` turns each socket into
// a real pipe, `/dev/fd/63`, that helm can open: the plaintext goes socket → cat → pipe → helm,
// in kernel buffers only. Order is kept: `-f` flags are merged by helm in the order given.

import type { ClusterCapabilities, HelmTools } from './types.js';

export interface TemplateOptions {
  release: { name: string; namespace: string };
  /** Local chart: a directory or a .tgz in the render's scratch dir. */
  chartPath: string;
  capabilities: ClusterCapabilities;
  includeCrds: boolean;
  isUpgrade: boolean;
}

/** helm's own arguments, values flags excluded. */
export function templateArgs(o: TemplateOptions): string[] {
  const args = ['template', o.release.name, o.chartPath, '--namespace', o.release.namespace, '--kube-version', o.capabilities.kubeVersion];
  // One flag per entry: a comma inside `group/version/Kind` cannot happen, but one per flag is
  // what helm parses without surprises.
  for (const a of o.capabilities.apiVersions) args.push('--api-versions', a);
  if (o.includeCrds) args.push('--include-crds');
  if (o.isUpgrade) args.push('--is-upgrade');
  return args;
}

/** The process to start: helm itself when there are no values, else bash bridging `count` descriptors. */
export function helmCommand(tools: HelmTools, helmArgs: readonly string[], count: number): { bin: string; args: string[] } {
  if (count === 0) return { bin: tools.helm, args: [...helmArgs] };
  let script = 'exec "$0" "$@"';
  for (let i = 0; i < count; i++) script += ` --values <(exec cat <&${3 + i})`;
  // $0 is helm, "$@" its arguments: nothing of them is parsed by the shell.
  return { bin: tools.bash, args: ['-c', script, tools.helm, ...helmArgs] };
}
