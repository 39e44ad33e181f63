// Issue 21 item 5, measured on the real stack: 60 syncs over 3 target clusters (private control
// planes with an audit log of every write), shared by daemon processes through shard Leases on
// the home cluster (the shared stack's apiserver, else the first target); a private git server;
// an image policy and its write-back automation on the same repository (the shared stack's
// registry, else a private one).
//   short form:  npm run bench:shards
//     1 replica → K commits each touching all 60 syncs (commit → all applied); 2 more replicas join
//     (spread of shards and syncs); the same K commits on 3; SIGKILL one → a commit applied to each
//     of its syncs (failover time); start it again → shards moved; SIGKILL the shard-0 owner → a
//     new tag committed by its successor; writes by two replicas in one revision window and A,B,A
//     ping-pongs, from the apiservers' audit logs; duplicate write-back commits and force pushes,
//     from the git server's reflog and history.
//   soak form:   BENCH_SOAK_MINUTES=10 npm run bench:shards
//     3 replicas, a commit every few seconds and a SIGKILL + restart of a replica about every
//     minute (every other one the shard-0 owner): missed commits, double writes, ping-pongs,
//     failover times, moves, write-back counts.
// Knobs: BENCH_SHARDS (auto = 60), BENCH_COMMITS (5), BENCH_OBJECTS_PER_SYNC (5).
// "Applied" is read from the clusters (each sync's ConfigMaps carry the round), not from the
// daemon. Every round also pushes a new image tag (bench/shards/writeback.ts).
// Modules: bench/shards/ — layout (names, knobs, sync → shard), state (clusters, Leases),
// steps, short, soak, health, audit, writeback, report.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeClient } from '../daemon/kube/client.js';
import { startGitServer } from '../test/stack/gitserver.js';
import { killAllSync } from '../test/stack/procs.js';
import { startRegistry } from '../test/stack/registry.js';
import type { GitInfo, RegistryEndpoint, StackInfo } from '../test/stack/types.js';
import { startTestCluster } from '../test/support/kube-cluster.js';
import { ReplicaFleet } from '../test/support/replica-fleet.js';
import { deleteGroupLeases } from '../test/support/shard-leases.js';
import { auditReport } from './shards/audit.js';
import { healthRows, startSampler } from './shards/health.js';
import { ALL, CLUSTERS, GROUP, LEASE_NS, N, NS, PER_SYNC, SOAK_MIN, SYNCS, syncName } from './shards/layout.js';
import { Repo } from './shards/repo.js';
import { load, rows, sleep } from './shards/report.js';
import { shortForm } from './shards/short.js';
import { soak } from './shards/soak.js';
import type { Bench } from './shards/state.js';
import { ImageFeed } from './shards/writeback.js';

interface Stack {
  git: GitInfo;
  registry: RegistryEndpoint;
  homeKubeconfig?: string;
  stop(): Promise<void>;
}
async function stack(): Promise<Stack> {
  // A git server of our own: other sessions' tests switch the shared one's reject-pushes on and off.
  const git = await startGitServer();
  const file = process.env.GITOPS_SEAL_STACK_INFO ?? '/tmp/stack-info.json';
  if (existsSync(file)) {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
    console.log(`[shards] shared stack (${file}): the home cluster's Leases, its registry; a private git server`);
    return { git: git.info, registry: info.registry.basic, homeKubeconfig: info.kube.kubeconfig, stop: () => git.stop() };
  }
  console.log('[shards] no shared stack: Leases on the first target cluster; a private git server and registry');
  const reg = await startRegistry();
  return {
    git: git.info,
    registry: reg.info.basic,
    stop: async () => {
      await git.stop();
      await reg.stop();
    },
  };
}

function writeDaemonConfig(repo: Repo, images: ImageFeed, kubeconfigs: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gitops-seal-bench-shards-cfg-')), 'daemon.yaml');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [
          {
            name: 'repo',
            url: repo.url,
            ref: { branch: 'main' },
            interval: '1s',
            credentials: { usernameFrom: { env: 'BENCH_GIT_USER' }, passwordFrom: { env: 'BENCH_GIT_PASSWORD' } },
          },
        ],
        syncs: ALL.map((i) => ({
          name: syncName(i),
          source: 'repo',
          path: `apps/s${i}`,
          kubeconfig: { file: kubeconfigs[i % CLUSTERS]! },
        })),
        ...images.spec(),
      },
    }),
  );
  return file;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const st = await stack();
  console.log(`[shards] starting ${CLUSTERS} audited control planes… (load ${load()})`);
  const clusters = await Promise.all(Array.from({ length: CLUSTERS }, () => startTestCluster({ audit: true, nodes: 1 })));
  for (const c of clusters)
    await c.client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  const home = await KubeClient.load({ kubeconfig: st.homeKubeconfig ?? clusters[0]!.info.kubeconfig });
  const images = new ImageFeed(st.registry);
  const repo = await Repo.create(st.git, await images.seed());
  await images.watch(repo.bare);
  await repo.commit();
  const configFile = writeDaemonConfig(
    repo,
    images,
    clusters.map((c) => c.info.kubeconfig),
  );
  const fleet = new ReplicaFleet({
    configFile,
    kubeconfig: st.homeKubeconfig ?? clusters[0]!.info.kubeconfig,
    group: GROUP,
    namespace: LEASE_NS,
    shards: String(N),
    env: { BENCH_GIT_USER: st.git.username, BENCH_GIT_PASSWORD: st.git.password, ...images.env() },
  });
  const b: Bench = { clusters, home, fleet, repo, images };
  console.log(`[shards] replica logs: ${fleet.logDir}`);
  process.on('exit', killAllSync);
  process.on('SIGINT', () => process.exit(130));
  const sampler = startSampler(b);
  try {
    if (SOAK_MIN > 0) await soak(b);
    else await shortForm(b);
    await images.report(fleet);
    await sleep(2000); // the audit backend writes each event as its request completes
    auditReport(b, t0);
  } finally {
    await sampler.stop();
    healthRows(fleet);
    await fleet.stop();
    await deleteGroupLeases(home, LEASE_NS, GROUP);
    home.close();
    await Promise.all(clusters.map((c) => c.stop()));
    await st.stop();
    repo.remove();
    rmSync(join(configFile, '..'), { recursive: true, force: true });
  }
  console.log(`\nissue 21 shards bench — ${SYNCS} syncs × ${PER_SYNC} ConfigMaps over ${CLUSTERS} clusters, ${N} shards, load ${load()}`);
  const w = Math.max(...rows.map(([a]) => a.length));
  for (const [a, c] of rows) console.log(`${a.padEnd(w)}  ${c}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
