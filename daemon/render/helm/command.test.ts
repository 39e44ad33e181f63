import { describe, expect, it } from 'vitest';
import { helmCommand, templateArgs } from './command.js';

const tools = { helm: '/opt/helm', bash: '/bin/bash' };
const base = {
  release: { name: 'web', namespace: 'apps' },
  chartPath: '/scratch/chart',
  capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'] },
  includeCrds: true,
  isUpgrade: false,
};

describe('templateArgs', () => {
  it('passes release, namespace, kube version, every API version and the CRD flag', () => {
    expect(templateArgs(base)).toEqual([
      'template',
      'web',
      '/scratch/chart',
      '--namespace',
      'apps',
      '--kube-version',
      'v1.35.4',
      '--api-versions',
      'v1',
      '--api-versions',
      'apps/v1',
      '--api-versions',
      'apps/v1/Deployment',
      '--include-crds',
    ]);
    expect(templateArgs({ ...base, includeCrds: false, isUpgrade: true }).slice(-1)).toEqual(['--is-upgrade']);
  });
});

describe('helmCommand', () => {
  it('runs helm directly without values', () => {
    expect(helmCommand(tools, ['template', 'x', 'c'], 0)).toEqual({ bin: '/opt/helm', args: ['template', 'x', 'c'] });
  });
  it('bridges each descriptor through a process substitution, in order, helm and its args as positional parameters', () => {
    const c = helmCommand(tools, ['template', 'a b', '$(rm -rf /)'], 2);
    expect(c.bin).toBe('/bin/bash');
    expect(c.args).toEqual([
      '-c',
      'exec "$0" "$@" --values <(exec cat <&3) --values <(exec cat <&4)',
      '/opt/helm',
      'template',
      'a b',
      '$(rm -rf /)',
    ]);
  });
});
