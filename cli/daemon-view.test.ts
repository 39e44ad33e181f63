// build/diff before any server is asked: what a user without a kubeconfig, or with a broken
// DaemonConfig, is told. One line each, exit codes of the CLI's table (8 Kubernetes
// unreachable / kubeconfig not loaded, 5 DaemonConfig invalid).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from './errors.js';
import { sandbox, type Sandbox } from '../test/support/cli-sandbox.js';

const head =
  'apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\nspec:\n  sources:\n    - {name: repo, url: "http://127.0.0.1:9/fleet.git", ref: {branch: main}}\n';

describe('gitops-seal build/diff before any server', { timeout: 60_000 }, () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb?.cleanup());

  function oneLine(err: string): string {
    const lines = err.trimEnd().split('\n');
    expect(lines, err).toHaveLength(1);
    return lines[0] ?? '';
  }

  it('without any kubeconfig, diff (and build with namespace rules) name what was looked for and where', async () => {
    // The sandbox's environment: HOME without .kube/config, no KUBECONFIG, not in a pod.
    const looked = `no Kubernetes credentials found; looked for KUBECONFIG (not set), ${join(sb.env.HOME ?? '', '.kube', 'config')} (does not exist), in-cluster ServiceAccount (KUBERNETES_SERVICE_HOST is not set`;
    const config = await sb.write('daemon.yaml', `${head}  syncs:\n    - {name: apps, source: repo, path: deploy}\n`);
    const diff = await sb.run(['diff', '-c', config, '-s', 'apps']);
    expect(diff.code).toBe(ExitCode.REMOTE);
    expect(oneLine(diff.err)).toContain(`gitops-seal: sync "apps": cannot load kubeconfig (diff compares with the cluster): ${looked}`);
    expect(diff.err).not.toMatch(/HTTP protocol|skipTLSVerify/);

    const ruled = await sb.write('ruled.yaml', `${head}  syncs:\n    - {name: apps, source: repo, path: deploy, targetNamespace: apps}\n`);
    const build = await sb.run(['build', '-c', ruled, '-s', 'apps']);
    expect(build.code).toBe(ExitCode.REMOTE);
    expect(oneLine(build.err)).toContain(looked);
  });

  it('a DaemonConfig syntax error names the file, line and column in plain words (exit 5)', async () => {
    const config = await sb.write('broken.yaml', `${head}  syncs:\n    - name: apps\n     source: repo\n`);
    const r = await sb.run(['build', '-c', config, '-s', 'apps']);
    expect(r.code).toBe(ExitCode.CONFIG);
    const line = oneLine(r.err);
    expect(line).toMatch(/broken\.yaml: line 8, column 1: YAML syntax error: /);
    expect(line).not.toContain('(document)');
  });
});
