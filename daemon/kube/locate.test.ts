// Where credentials are looked for (locate.ts): $KUBECONFIG, ~/.kube/config, the pod's
// ServiceAccount — and, when none is usable, one line naming each place and why it did not count.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeconfigError, kubeconfigLoadError, locateKubeconfig } from './locate.js';

const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-locate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const noSa = join(dir, 'no-serviceaccount');
const sa = join(dir, 'serviceaccount');
mkdirSync(sa);
writeFileSync(join(sa, 'token'), 't');
const pod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

describe('locateKubeconfig', () => {
  it('nothing anywhere: one line naming KUBECONFIG, ~/.kube/config and the in-cluster pieces', () => {
    expect(() => locateKubeconfig({ env: { HOME: home } }, noSa)).toThrow(KubeconfigError);
    expect(() => locateKubeconfig({ env: { HOME: home } }, noSa)).toThrow(
      `no Kubernetes credentials found; looked for KUBECONFIG (not set), ${join(home, '.kube', 'config')} (does not exist), ` +
        `in-cluster ServiceAccount (KUBERNETES_SERVICE_HOST is not set, KUBERNETES_SERVICE_PORT is not set, ${join(noSa, 'token')} does not exist). ` +
        'Set KUBECONFIG, give the sync a kubeconfig.file, or run in a pod with a ServiceAccount token',
    );
    expect(() => locateKubeconfig({ env: {} }, noSa)).toThrow('~/.kube/config (HOME is not set)');
  });

  it('KUBECONFIG: missing entries are skipped as kubectl does; only missing ones is an error', () => {
    const a = join(dir, 'a.yaml');
    writeFileSync(a, '{}');
    const listed = [join(dir, 'missing.yaml'), a].join(delimiter);
    expect(locateKubeconfig({ env: { KUBECONFIG: listed, HOME: home }, context: 'c' }, noSa)).toEqual({ files: [a], context: 'c' });
    const none = join(dir, 'missing.yaml');
    expect(() => locateKubeconfig({ env: { KUBECONFIG: none } }, noSa)).toThrow(
      `no Kubernetes credentials found: KUBECONFIG=${none} names no existing file`,
    );
  });

  it('~/.kube/config, then the ServiceAccount when the pod environment is complete', () => {
    const h = join(dir, 'home2');
    mkdirSync(join(h, '.kube'), { recursive: true });
    writeFileSync(join(h, '.kube', 'config'), '{}');
    expect(locateKubeconfig({ env: { HOME: h, ...pod } }, sa)).toEqual({ files: [join(h, '.kube', 'config')] });
    expect(locateKubeconfig({ env: { HOME: home, ...pod } }, sa)).toEqual({ inCluster: true });
    expect(locateKubeconfig({ kubeconfig: '/etc/kc', env: {} }, noSa)).toEqual({ files: ['/etc/kc'] });
  });

  it('inCluster asked for but incomplete: names what is missing', () => {
    expect(locateKubeconfig({ inCluster: true, env: pod }, sa)).toEqual({ inCluster: true });
    expect(() => locateKubeconfig({ inCluster: true, env: pod }, noSa)).toThrow(
      `in-cluster Kubernetes credentials are incomplete: ${join(noSa, 'token')} does not exist (is automountServiceAccountToken false? set KUBECONFIG to use a kubeconfig instead)`,
    );
  });

  it('load errors name the file and keep to one line', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT' });
    expect(kubeconfigLoadError({ files: ['/x'] }, enoent).message).toBe('kubeconfig /x: no such file (ENOENT)');
    expect(kubeconfigLoadError({ inCluster: true }, new Error('bad\nmore')).message).toBe('in-cluster ServiceAccount: bad');
  });
});
