// Fault (a): the kube-apiserver crashes (SIGKILL) in the middle of applying a 400-object revision
// and comes back on the same port with the same etcd. A PRIVATE control plane is started for
// this file: the shared cluster other tests use is never touched. While it is down a newer
// revision drops 150 of the objects the interrupted apply may already have created; after the
// restart the daemon must converge on that revision within two intervals with nothing lost and
// no orphan (an object with our label that Git no longer declares).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiserverControl, type ApiserverControl } from '../stack/control.js';
import { kubeBins, kubeRequest, startKube } from '../stack/kube.js';
import type { KubeInfo, Started } from '../stack/types.js';
import { gitSourceConfig, setGitEnv, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import {
  configMaps,
  converge,
  startWithRetry,
  daemonConfig,
  inventoryObjects,
  namespaceYaml,
  orphans,
  ownedObjects,
  record,
  status,
  syncOf,
  type KubeAccess,
} from './fault-helpers.js';

const stack = inject('stack');
const SYNC = 'faults-kube';
const NS = `faults-kube-${Date.now().toString(36)}`;
const INTERVAL_MS = 5000;
const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `cm-${String(from + i).padStart(3, '0')}`);
const BASE = Array.from({ length: 10 }, (_, i) => `base-${i}`);

describe('fault: kube-apiserver crash during an apply (private control plane)', () => {
  let cluster: Started<KubeInfo> | undefined;
  let ctl: ApiserverControl | undefined;
  let repo: WorkRepo;
  let d: RunningDaemon;
  let k: KubeAccess;
  let dir: string | undefined;
  /** The apiserver is killed and not yet restarted (a failed test must not leave it so for afterAll). */
  let apiserverDown = false;

  const expected = (names: string[]): string[] => [`Namespace//${NS}`, ...[...BASE, ...names].map((n) => `ConfigMap/${NS}/${n}`)].sort();
  const revision = (names: string[]): Record<string, string | null> => ({
    'app/ns.yaml': namespaceYaml(NS),
    'app/base.yaml': configMaps(BASE, NS, { role: 'base' }),
    'app/many.yaml': names.length > 0 ? configMaps(names, NS, { payload: 'x'.repeat(512) }) : null,
  });

  beforeAll(async () => {
    setGitEnv(stack);
    cluster = await startWithRetry('private kube control plane', () => {
      if (dir) rmSync(dir, { recursive: true, force: true }); // a failed attempt's
      dir = mkdtempSync(join(tmpdir(), 'gitops-seal-faults-kube-'));
      return startKube({ nodes: 1, dir });
    });
    ctl = apiserverControl(cluster.info);
    k = { kubectl: join(dirname(kubeBins().kubeStack), 'kubectl'), kubeconfig: cluster.info.kubeconfig };
    repo = await WorkRepo.create(stack, `faults-kube-${Date.now()}`);
    await repo.commit(revision([]), 'base');
    d = await startDaemon(
      daemonConfig({
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: `${INTERVAL_MS}ms` })],
        syncs: [{ name: SYNC, source: 'repo', path: 'app', interval: `${INTERVAL_MS}ms`, kubeconfig: { file: cluster.info.kubeconfig } }],
      }),
    );
    const head = await repo.head();
    await converge('base revision applied', async () => syncOf(await status(d.url), SYNC)?.appliedRevision === head, 60_000);
  });

  afterAll(async () => {
    if (apiserverDown) await ctl?.restart().catch(() => undefined);
    // Bounded: a stop that hangs is reported, it does not stall the suite for the hook timeout.
    if (d) {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('daemon stop() did not finish within 30 s')), 30_000);
      });
      await Promise.race([d.stop(), hung]).finally(() => clearTimeout(timer));
    }
    await ctl?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    repo?.remove();
  });

  it('stays up, reports the outage, then converges on the newest revision with no orphan and nothing lost', async () => {
    const info = cluster?.info as KubeInfo;
    // Revision A: 400 more objects. Kill the apiserver as soon as the first of them exists.
    const revA = await repo.commit(revision(range(0, 400)), 'A: 400 objects');
    void d.daemon.sources
      .get('repo')
      ?.trigger()
      .catch(() => undefined);
    let seenAtKill = 0;
    const list = `/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent(`gitops-seal.io/sync=${SYNC}`)}`;
    await converge(
      'apply of revision A under way',
      async () => {
        const items = (JSON.parse((await kubeRequest(info, list)).body) as { items?: { metadata: { name: string } }[] }).items ?? [];
        seenAtKill = items.filter((i) => i.metadata.name.startsWith('cm-')).length;
        return seenAtKill > 0;
      },
      60_000,
      10,
    );
    await ctl?.kill();
    apiserverDown = true;
    const downAt = Date.now();
    // Mid-apply, not after it.
    expect(seenAtKill).toBeLessThan(400);

    // While it is down, Git moves on: B drops cm-000..cm-149 (the ones an apply creates first)
    // and adds cm-400..cm-449.
    const want = range(150, 450);
    const revB = await repo.commit(revision(want), 'B: drop 150, add 50');
    // The daemon stays up and says why B is not applied.
    const st = await converge(
      'status names the apiserver outage for revision B',
      async () => {
        const s = syncOf(await status(d.url), SYNC);
        return s?.attemptedRevision === revB && s.lastError !== undefined;
      },
      4 * INTERVAL_MS,
    ).catch(async (err: unknown) => {
      console.error(`[faults] status: ${JSON.stringify(syncOf(await status(d.url), SYNC))}\n${d.logs.text.slice(-3000)}`);
      throw err;
    });
    expect(st).toBeGreaterThanOrEqual(0);
    const down = syncOf(await status(d.url), SYNC);
    expect(down?.appliedRevision).not.toBe(revB);
    expect(down?.lastError?.message).toMatch(/ECONNREFUSED|connect|refused|socket hang up|ECONNRESET/i);
    expect((await fetch(`${d.url}/healthz`)).ok).toBe(true);
    const downMs = Date.now() - downAt;

    const restartAt = Date.now();
    await ctl?.restart();
    apiserverDown = false;
    const readyMs = Date.now() - restartAt;
    // Measured from the moment the apiserver answers /readyz again.
    const convergeMs = await converge(
      'revision B applied after the restart',
      async () => {
        const s = syncOf(await status(d.url), SYNC);
        return s?.appliedRevision === revB && s.lastError === undefined;
      },
      6 * INTERVAL_MS,
    );

    const owned = await ownedObjects(k, SYNC, 'configmaps,namespaces');
    const inv = await inventoryObjects(k, SYNC);
    const lost = expected(want).filter((o) => !owned.includes(o));
    const orphaned = orphans(owned, expected(want));
    record('kube-apiserver crash mid-apply', {
      objectsInRevision: want.length + BASE.length,
      createdBeforeKill: seenAtKill,
      downMs,
      apiserverReadyMs: readyMs,
      convergeMs,
      intervalMs: INTERVAL_MS,
      orphans: orphaned.length,
      lost: lost.length,
      revA: revA.slice(0, 12),
    });
    expect(orphaned).toEqual([]);
    expect(lost).toEqual([]);
    expect(inv).toEqual(expected(want));
    expect(convergeMs).toBeLessThanOrEqual(2 * INTERVAL_MS);

    // Watches came back with the apiserver: a deleted object is restored (drift correction).
    await kubeRequest(info, `/api/v1/namespaces/${NS}/configmaps/cm-449`, { method: 'DELETE' });
    const driftMs = await converge(
      'cm-449 restored after deletion',
      async () => (await kubeRequest(info, `/api/v1/namespaces/${NS}/configmaps/cm-449`)).status === 200,
      3 * INTERVAL_MS,
    );
    record('kube-apiserver crash mid-apply: drift after restart', { driftRestoreMs: driftMs });
  });
});
