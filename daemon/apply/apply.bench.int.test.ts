// Throughput of apply on a real apiserver: 1,000 ConfigMaps created by ResourceManager
// vs `kubectl apply --server-side -f <dir>` (same build, same cluster), then a no-op
// re-apply of each, counting writes (resourceVersion changes) — which must be 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../test/support/kube-cluster.js';
import type { KubeList, KubeObject } from '../kube/types.js';
import { countActions } from './changeset.js';
import { ResourceManager } from './manager.js';

const run = promisify(execFile);
const N = 1000;
let kube: TestCluster;

beforeAll(async () => {
  kube = await startTestCluster();
});
afterAll(async () => {
  await kube?.stop();
});

const configMaps = (namespace: string): KubeObject[] =>
  Array.from({ length: N }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${String(i).padStart(4, '0')}`, namespace, labels: { bench: 'yes' } },
    data: { index: String(i), payload: 'x'.repeat(200) },
  }));

async function versions(namespace: string): Promise<Map<string, string>> {
  const list = await kube.client.request<KubeList>(`/api/v1/namespaces/${namespace}/configmaps`, { query: { labelSelector: 'bench=yes' } });
  return new Map(list.items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']));
}

const rvChanges = (a: Map<string, string>, b: Map<string, string>): number => [...a].filter(([k, v]) => b.get(k) !== v).length;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, Math.round(performance.now() - t0)];
}

describe(`apply ${N} ConfigMaps`, () => {
  it('ResourceManager vs kubectl --server-side, initial and no-op', async () => {
    const rm = new ResourceManager(kube.client, { syncName: 'bench' });
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-gs' } };
    const objs = [ns, ...configMaps('bench-gs')];
    const [first, tFirst] = await timed(() => rm.apply(objs));
    expect(countActions(first).created).toBe(N + 1);
    const before = await versions('bench-gs');
    expect(before.size).toBe(N);
    const [noop, tNoop] = await timed(() => rm.apply(objs));
    const after = await versions('bench-gs');
    expect(countActions(noop).unchanged).toBe(N + 1);
    const gsWrites = rvChanges(before, after);
    expect(gsWrites).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'bench-kubectl-'));
    for (const o of configMaps('bench-kc')) writeFileSync(join(dir, `${o.metadata.name}.json`), JSON.stringify(o));
    await kube.client.request('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-kc' } },
    });
    const kubectl = (): Promise<unknown> =>
      run(kube.kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '--field-manager=bench', '-f', dir], {
        maxBuffer: 64 << 20,
      });
    const [, kFirst] = await timed(kubectl);
    const kBefore = await versions('bench-kc');
    const [, kNoop] = await timed(kubectl);
    const kWrites = rvChanges(kBefore, await versions('bench-kc'));

    const figures = {
      objects: N,
      resourceManager: { initialMs: tFirst, noopMs: tNoop, noopWrites: gsWrites },
      kubectlServerSide: { initialMs: kFirst, noopMs: kNoop, noopWrites: kWrites },
    };
    console.log(`[bench] ${JSON.stringify(figures)}`);
    writeFileSync(join(tmpdir(), 'gitops-seal-apply-bench.json'), JSON.stringify(figures, null, 2));
  });
});
