// Issue 21 item 5, measured on the real stack: 60 syncs over 3 target clusters (private control
// planes with an audit log of every write), shared by daemon processes through shard Leases on
// the home cluster (the shared stack's apiserver, else the first target); a private git server.
//   short form:  npm run bench:shards
//     1 replica → K commits each touching all 60 syncs (commit → all applied); 2 more replicas join
//     (spread of shards and syncs); the same K commits on 3; SIGKILL one → a commit applied to each
//     of its syncs (failover time); start it again → shards moved; writes by two replicas in one
//     revision window and A,B,A ping-pongs, from the apiservers' audit logs.
//   soak form:   BENCH_SOAK_MINUTES=10 npm run bench:shards
//     3 replicas, a commit every few seconds and a SIGKILL + restart of a random replica about
//     every minute: missed commits, double writes, ping-pongs, failover times, moves.
// Knobs: BENCH_SHARDS (auto = 60), BENCH_COMMITS (5), BENCH_OBJECTS_PER_SYNC (5).
// "Applied" is read from the clusters (each sync's ConfigMaps carry the round), not from the daemon.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { KubeClient } from '../daemon/kube/client.js';
import { parseShards, ShardMap, targetAssignment } from '../daemon/shard/index.js';
import { doubleWrites, pingPongs, readAuditWrites, writesPerReplica, type AuditWrite, type Window } from '../test/support/audit-log.js';
import { startTestCluster, type TestCluster } from '../test/support/kube-cluster.js';
import { ReplicaFleet } from '../test/support/replica-fleet.js';
import { deleteGroupLeases, shardHolders } from '../test/support/shard-leases.js';
import { authedUrl, createRepo, startGitServer } from '../test/stack/gitserver.js';
import { killAllSync } from '../test/stack/procs.js';
import type { GitInfo, StackInfo } from '../test/stack/types.js';

const run = promisify(execFile);
const T0 = Date.now();
const RUN = T0.toString(36);
const SYNCS = 60;
const CLUSTERS = 3;
const N = parseShards(process.env.BENCH_SHARDS ?? 'auto', SYNCS);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 5);
const PER_SYNC = Number(process.env.BENCH_OBJECTS_PER_SYNC ?? 5);
const SOAK_MIN = Number(process.env.BENCH_SOAK_MINUTES ?? 0);
const NS = `bsh-${RUN}`;
const GROUP = `bsh-${RUN}`;
const LEASE_NS = 'default';
const IDS = ['a', 'b', 'c'].map((x) => `bsh-${RUN}-${x}`);
const syncName = (i: number): string => `bsh-${RUN}-${i}`;
// The daemons' own map of these syncs (daemon/shard/shard-map.ts), as every replica builds it.
const SHARD_MAP = new ShardMap(
  Array.from({ length: SYNCS }, (_, i) => syncName(i)),
  N,
);
const SHARD_OF = Array.from({ length: SYNCS }, (_, i) => SHARD_MAP.shardOf(syncName(i)));
const short = (id: string): string => id.slice(id.lastIndexOf('-') + 1);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const med = (xs: number[]): number => sorted(xs)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const range = (xs: number[]): string =>
  xs.length === 0 ? '—' : `${s(med(xs))} (${s(sorted(xs)[0]!)}–${s(sorted(xs)[xs.length - 1]!)}, n=${xs.length})`;

const rows: [string, string][] = [];
const row = (what: string, value: string): void => {
  rows.push([what, value]);
  console.log(`[shards] ${what}: ${value}`);
};

// ---- the work: sync i = PER_SYNC ConfigMaps in namespace NS of cluster i % 3, data.round = r ----
function files(round: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < SYNCS; i++)
    out[`apps/s${i}/cm.yaml`] = Array.from(
      { length: PER_SYNC },
      (_, j) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${i}-${j}\n  namespace: ${NS}\ndata:\n  round: "${round}"\n  payload: "${'x'.repeat(100)}"\n`,
    ).join('---\n');
  return out;
}

class Repo {
  round = 0;
  /** round → when its push started. */
  readonly pushedAt = new Map<number, number>();
  private constructor(
    readonly url: string,
    private readonly dir: string,
  ) {}
  static async create(git: GitInfo): Promise<Repo> {
    const url = await createRepo(git, `bsh-${RUN}`, { 'README.md': '# shards bench\n' });
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-shards-'));
    await run('git', ['clone', '--quiet', authedUrl(git, `bsh-${RUN}`), dir]);
    await run('git', ['-C', dir, 'config', 'user.email', 'bench@gitops-seal.io']);
    await run('git', ['-C', dir, 'config', 'user.name', 'bench']);
    return new Repo(url, dir);
  }
  /** Pushes the next round (every sync changes); returns it. */
  async commit(): Promise<number> {
    const r = ++this.round;
    for (const [p, c] of Object.entries(files(r))) {
      mkdirSync(join(this.dir, p, '..'), { recursive: true });
      writeFileSync(join(this.dir, p), c);
    }
    await run('git', ['-C', this.dir, 'add', '-A']);
    await run('git', ['-C', this.dir, 'commit', '--quiet', '-m', `round ${r}`]);
    this.pushedAt.set(r, Date.now());
    await run('git', ['-C', this.dir, 'push', '--quiet', 'origin', 'HEAD:main']);
    return r;
  }
}

// ---- what the clusters hold ----
let clusters: TestCluster[] = [];
/** sync → the lowest round among its ConfigMaps (0 when one is missing). */
async function roundsNow(): Promise<number[]> {
  const lists = await Promise.all(
    clusters.map((c) =>
      c.client.request<{ items: { metadata: { name: string }; data?: { round?: string } }[] }>(`/api/v1/namespaces/${NS}/configmaps`),
    ),
  );
  const byName = new Map<string, number>();
  for (const l of lists) for (const cm of l.items) byName.set(cm.metadata.name, Number(cm.data?.round ?? 0));
  return Array.from({ length: SYNCS }, (_, i) => Math.min(...Array.from({ length: PER_SYNC }, (_, j) => byName.get(`s${i}-${j}`) ?? 0)));
}

/** Waits until each sync of `which` holds `round` or later: sync → when first seen there (undefined on timeout). */
async function waitApplied(round: number, which: readonly number[], timeoutMs: number): Promise<Map<number, number> | undefined> {
  const seen = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = Date.now();
    const rs = await roundsNow().catch(() => undefined);
    if (rs) for (const i of which) if (!seen.has(i) && rs[i]! >= round) seen.set(i, now);
    if (seen.size === which.length) return seen;
    await sleep(200);
  }
  return undefined;
}
const ALL = Array.from({ length: SYNCS }, (_, i) => i);
const latest = (m: Map<number, number>, which: readonly number[] = ALL): number => Math.max(...which.map((i) => m.get(i)!));

// ---- shard ownership, from the Leases ----
let home: KubeClient;
const holders = (): Promise<Map<number, string>> => shardHolders(home, LEASE_NS, GROUP);
/**
 * Waits until the Leases are settled for `live`: every shard held by a live member, each holding
 * ⌊N/M⌋ or ⌈N/M⌉, unchanged over three reads (the assignment is sticky — daemon/shard/assign.ts —
 * so which member holds which shard depends on who held it before, not on the names alone).
 */
async function waitTarget(live: readonly string[], timeoutMs: number): Promise<Map<number, string> | undefined> {
  const lo = Math.floor(N / live.length);
  const hi = Math.ceil(N / live.length);
  const balanced = (h: Map<number, string>): boolean =>
    h.size === N &&
    [...h.values()].every((m) => live.includes(m)) &&
    live.every((id) => {
      const n = [...h.values()].filter((m) => m === id).length;
      return n >= lo && n <= hi;
    });
  const deadline = Date.now() + timeoutMs;
  let same = 0;
  let prev = '';
  while (Date.now() < deadline) {
    const h = await holders().catch(() => undefined);
    const key = h ? JSON.stringify([...h].sort((x, y) => x[0] - y[0])) : '';
    same = h && balanced(h) && key === prev ? same + 1 : 0;
    prev = key;
    if (h && same >= 2) return h;
    await sleep(500);
  }
  return undefined;
}
const moves = (before: Map<number, string>, after: Map<number, string>): number =>
  [...after].filter(([k, m]) => before.get(k) !== m).length;
function spread(h: Map<number, string>, live: readonly string[]): string {
  const shards = live.map((id) => [...h.values()].filter((m) => m === id).length);
  const syncs = live.map((id) => SHARD_OF.filter((k) => h.get(k) === id).length);
  return `shards ${shards.join('/')}, syncs ${syncs.join('/')} (${live.map(short).join('/')})`;
}
const syncsOf = (h: Map<number, string>, id: string): number[] => ALL.filter((i) => h.get(SHARD_OF[i]!) === id);

// ---- health, sampled all along: renewal gaps of held Leases (from the apiserver) and the
// replicas' event-loop delay (prom-client's nodejs_eventloop_lag_max_seconds, reset at each scrape) ----
const renewGaps: number[] = [];
const loopMax = new Map<string, number>();
let unanswered = 0;
let sampling = true;
async function sampler(fleet: ReplicaFleet): Promise<void> {
  const last = new Map<string, { holder: string; renew: number }>();
  for (let tick = 0; sampling; tick++) {
    const list = await home
      .request<{ items: { metadata: { name: string }; spec?: { holderIdentity?: string; renewTime?: string } }[] }>(
        `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases`,
        { query: { labelSelector: `gitops-seal.io/lease-group=${GROUP}` } },
      )
      .catch(() => ({ items: [] }));
    // Shard Leases only: a killed replica's member Lease is renewed again when it restarts.
    for (const l of list.items.filter((x) => x.metadata.name.includes('-shard-'))) {
      const holder = l.spec?.holderIdentity ?? '';
      const renew = Date.parse(l.spec?.renewTime ?? '');
      const prev = last.get(l.metadata.name);
      if (prev && holder !== '' && prev.holder === holder && renew > prev.renew) renewGaps.push(renew - prev.renew);
      last.set(l.metadata.name, { holder, renew });
    }
    if (tick % 2 === 0)
      await Promise.all(
        fleet.live().map(async (id) => {
          try {
            const res = await fetch(`${fleet.url(id)}/metrics`, { signal: AbortSignal.timeout(5000) });
            const m = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await res.text());
            if (m) loopMax.set(id, Math.max(loopMax.get(id) ?? 0, Number(m[1]) * 1000));
          } catch {
            if (fleet.live().includes(id)) unanswered++;
          }
        }),
      );
    await sleep(1000);
  }
}
function healthRows(fleet: ReplicaFleet): void {
  const g = sorted(renewGaps);
  const q = (p: number): number => g[Math.min(g.length - 1, Math.floor(p * g.length))] ?? Number.NaN;
  row(
    'held shard Lease renewal gaps (renewTime)',
    `median ${s(q(0.5))}, p99 ${s(q(0.99))}, max ${s(g[g.length - 1] ?? Number.NaN)}; ${g.filter((x) => x > 4000).length} of ${g.length} over 4 s`,
  );
  row(
    'event-loop delay max per replica',
    `${[...loopMax].map(([id, ms]) => `${short(id)} ${s(ms)}`).join(', ')}; /metrics unanswered within 5 s: ${unanswered}`,
  );
  row(
    'replicas that exited on their own',
    fleet.exits.length === 0
      ? '0'
      : fleet.exits.map((e) => `${short(e.identity)} (exit ${e.code}, ${e.reason}) at +${s(e.at - T0)}`).join('; '),
  );
}

// ---- membership events: a revision window that overlaps [event, settled] is a handover window ----
const handovers: { from: number; to: number; what: string }[] = [];

async function commitAndWait(repo: Repo, timeoutMs = 60_000): Promise<{ round: number; ms?: number; seen?: Map<number, number> }> {
  const round = await repo.commit();
  const seen = await waitApplied(round, ALL, timeoutMs);
  return { round, ...(seen ? { ms: latest(seen) - repo.pushedAt.get(round)!, seen } : {}) };
}

/** SIGKILL `victim`, push a round at once: ms from the kill until each of its syncs held that round. */
async function failover(fleet: ReplicaFleet, repo: Repo, victim: string): Promise<{ ms?: number; moved: number; survivorsMoved: number }> {
  const before = await holders();
  const its = syncsOf(before, victim);
  const t0 = Date.now();
  await fleet.kill(victim);
  const round = await repo.commit();
  const seen = await waitApplied(round, ALL, 60_000);
  const live = fleet.live();
  const after = (await waitTarget(live, 60_000)) ?? (await holders());
  handovers.push({ from: t0, to: Date.now(), what: `kill ${short(victim)}` });
  const survivorsMoved = [...before].filter(([k, m]) => m !== victim && after.get(k) !== m).length;
  return { ...(seen ? { ms: latest(seen, its) - t0 } : {}), moved: its.length, survivorsMoved };
}

/** Start `id` again: shards that changed holder between the settled states before and after. */
async function rejoin(fleet: ReplicaFleet, id: string): Promise<number | undefined> {
  const before = await holders();
  const t0 = Date.now();
  await fleet.start(id);
  const after = await waitTarget(fleet.live(), 90_000);
  handovers.push({ from: t0, to: Date.now(), what: `start ${short(id)}` });
  return after ? moves(before, after) : undefined;
}

interface Stack {
  git: GitInfo;
  homeKubeconfig?: string;
  stop(): Promise<void>;
}
async function stack(): Promise<Stack> {
  // A git server of our own: other sessions' tests switch the shared one's reject-pushes on and off.
  const git = await startGitServer();
  const file = process.env.GITOPS_SEAL_STACK_INFO ?? '/tmp/stack-info.json';
  if (existsSync(file)) {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
    console.log(`[shards] shared stack (${file}): the home cluster's Leases; a private git server`);
    return { git: git.info, homeKubeconfig: info.kube.kubeconfig, stop: () => git.stop() };
  }
  console.log('[shards] no shared stack: Leases on the first target cluster; a private git server');
  return { git: git.info, stop: () => git.stop() };
}

function rssMb(fleet: ReplicaFleet): string {
  return fleet
    .live()
    .map((id) => {
      const pid = fleet.pid(id);
      const m = pid ? /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
      return `${short(id)} ${m ? Math.round(Number(m[1]) / 1024) : '?'} MB`;
    })
    .join(', ');
}

/** Writes in `windows`: objects written by two replicas, and A,B,A within one window. */
function doubles(writes: AuditWrite[], windows: Window[]): { doubles: number; objects: string[]; pingPongs: number } {
  const d = doubleWrites(writes, windows);
  const pp = windows.flatMap((w) => pingPongs(writes.filter((x) => x.at >= w.from && x.at < w.to)));
  return {
    doubles: d.length,
    objects: d.slice(0, 3).map((x) => `${x.window} ${x.object} by ${x.replicas.map(short).join('+')}`),
    pingPongs: pp.length,
  };
}

function auditReport(repo: Repo, t0: number, fleet: ReplicaFleet): void {
  const writes = clusters.flatMap((c) => readAuditWrites(c.info.auditLog!)).sort((a, b) => a.at - b.at);
  const rounds = sorted([...repo.pushedAt.keys()]);
  const windows: Window[] = rounds.map((r, i) => ({
    name: `round ${r}`,
    from: i === 0 ? t0 : repo.pushedAt.get(r)!,
    to: i + 1 < rounds.length ? repo.pushedAt.get(rounds[i + 1]!)! : Date.now() + 1,
  }));
  // A replica that exited on its own: its shards move after their leases (revive() covers the rest).
  for (const e of fleet.exits) handovers.push({ from: e.at, to: e.at + 30_000, what: `exit ${short(e.identity)}` });
  const isHandover = (w: Window): boolean => handovers.some((h) => h.from < w.to && h.to >= w.from);
  const steady = windows.filter((w) => !isHandover(w));
  const hand = windows.filter(isHandover);
  const st = doubles(writes, steady);
  const ho = doubles(writes, hand);
  const per = writesPerReplica(writes);
  row(
    'audited writes (3 apiservers)',
    `${writes.length}: ${Object.entries(per)
      .map(([r, n]) => `${short(r)} ${n}`)
      .join(', ')}`,
  );
  row(`steady windows (${steady.length})`, `${st.doubles} objects written by two replicas, ${st.pingPongs} A,B,A`);
  row(
    `handover windows (${hand.length})`,
    `${ho.doubles} objects written by two replicas (a new owner re-applying the head it acquired would count here), ${ho.pingPongs} A,B,A`,
  );
  for (const o of [...st.objects, ...ho.objects]) console.log(`[shards]   e.g. ${o}`);
  row('A,B,A over the whole run', `${pingPongs(writes).length} objects (a shard returning to its restarted replica is one)`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const st = await stack();
  console.log(`[shards] starting ${CLUSTERS} audited control planes… (load ${load()})`);
  clusters = await Promise.all(Array.from({ length: CLUSTERS }, () => startTestCluster({ audit: true, nodes: 1 })));
  for (const c of clusters)
    await c.client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  home = await KubeClient.load({ kubeconfig: st.homeKubeconfig ?? clusters[0]!.info.kubeconfig });
  const repo = await Repo.create(st.git);
  await repo.commit();
  const cfgDir = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-shards-cfg-'));
  const configFile = join(cfgDir, 'daemon.yaml');
  writeFileSync(
    configFile,
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
          kubeconfig: { file: clusters[i % CLUSTERS]!.info.kubeconfig },
        })),
      },
    }),
  );
  const fleet = new ReplicaFleet({
    configFile,
    kubeconfig: st.homeKubeconfig ?? clusters[0]!.info.kubeconfig,
    group: GROUP,
    namespace: LEASE_NS,
    shards: String(N),
    env: { BENCH_GIT_USER: st.git.username, BENCH_GIT_PASSWORD: st.git.password },
  });
  console.log(`[shards] replica logs: ${fleet.logDir}`);
  process.on('exit', killAllSync);
  process.on('SIGINT', () => process.exit(130));
  const sampling$ = sampler(fleet);
  try {
    if (SOAK_MIN > 0) await soak(fleet, repo);
    else await shortForm(fleet, repo);
    await sleep(2000); // the audit backend writes each event as its request completes
    auditReport(repo, t0, fleet);
  } finally {
    sampling = false;
    await sampling$;
    healthRows(fleet);
    await fleet.stop();
    await deleteGroupLeases(home, LEASE_NS, GROUP);
    home.close();
    await Promise.all(clusters.map((c) => c.stop()));
    await st.stop();
  }
  console.log(`\nissue 21 shards bench — ${SYNCS} syncs × ${PER_SYNC} ConfigMaps over ${CLUSTERS} clusters, ${N} shards, load ${load()}`);
  const w = Math.max(...rows.map(([a]) => a.length));
  for (const [a, b] of rows) console.log(`${a.padEnd(w)}  ${b}`);
}

/** COMMITS rounds one after the other: commit → all applied, and how many were not within 60 s. */
async function commits(repo: Repo): Promise<string> {
  const ms: number[] = [];
  for (let k = 0; k < COMMITS; k++) {
    const r = await commitAndWait(repo);
    if (r.ms !== undefined) ms.push(r.ms);
  }
  return `${range(ms)}${ms.length < COMMITS ? `; ${COMMITS - ms.length} of ${COMMITS} not within 60 s` : ''}`;
}

/** Syncs per replica the assignment gives these names at other shard counts (pure: assign.ts + hash.ts). */
function whatIf(): string {
  return [3, 12, 15, 30, 60]
    .map((n) => {
      const owner = new Map<number, string>();
      for (const [m, ks] of targetAssignment(n, IDS)) for (const k of ks) owner.set(k, m);
      const map = new ShardMap(ALL.map(syncName), n);
      const per = IDS.map((id) => ALL.filter((i) => owner.get(map.shardOf(syncName(i))) === id).length);
      return `${n}: ${per.join('/')}`;
    })
    .join(', ');
}

async function shortForm(fleet: ReplicaFleet, repo: Repo): Promise<void> {
  row('syncs per replica at N shards (computed for these names)', whatIf());
  const [a, b, c] = IDS as [string, string, string];
  await fleet.start(a);
  if (!(await waitApplied(1, ALL, 120_000))) throw new Error('replica a did not apply round 1 to all 60 syncs within 120 s');
  const one = await commits(repo);
  row('1 replica: commit → all 60 syncs applied', one);
  row('1 replica RSS', rssMb(fleet));
  const solo = await holders();
  const tJoin = Date.now();
  await Promise.all([fleet.start(b), fleet.start(c)]);
  const three = await waitTarget(IDS, 120_000);
  handovers.push({ from: tJoin, to: Date.now(), what: 'start b, c' });
  if (!three) throw new Error(`the Leases did not reach the 3-replica target within 120 s: ${spread(await holders(), IDS)}`);
  row(
    '3 replicas joined: spread',
    `${spread(three, IDS)}; ${moves(solo, three)} of ${N} shards moved off a, settled in ${s(Date.now() - tJoin)}`,
  );
  await waitApplied(repo.round, ALL, 60_000);
  row('3 replicas: commit → all 60 syncs applied', await commits(repo));
  row('3 replicas RSS', rssMb(fleet));
  const f = await failover(fleet, repo, c);
  row(
    'SIGKILL c → a commit applied to each of its syncs',
    `${f.ms === undefined ? 'not within 60 s' : s(f.ms)} (${f.moved} syncs moved; survivors' shards moved: ${f.survivorsMoved})`,
  );
  row('2 replicas: spread', spread(await holders(), [a, b]));
  const m = await rejoin(fleet, c);
  row('c started again: shards moved', m === undefined ? 'not settled within 90 s' : `${m} of ${N} (⅓ = ${Math.round(N / 3)})`);
  row('3 replicas again: spread', spread(await holders(), IDS));
  const after = await commitAndWait(repo);
  row('after rejoin: commit → all applied', after.ms === undefined ? 'not within 60 s' : s(after.ms));
}

/** As the kubelet would: start again each replica that exited on its own (fleet.exits has them). */
async function revive(fleet: ReplicaFleet): Promise<void> {
  for (const id of IDS)
    if (!fleet.live().includes(id)) {
      const t0 = Date.now();
      await fleet.start(id);
      await waitTarget(fleet.live(), 90_000);
      handovers.push({ from: t0, to: Date.now(), what: `revive ${short(id)}` });
    }
}

async function soak(fleet: ReplicaFleet, repo: Repo): Promise<void> {
  await Promise.all(IDS.map((id) => fleet.start(id)));
  let settled = false;
  for (let i = 0; i < 3 && !settled; i++) {
    await revive(fleet);
    settled = (await waitTarget(IDS, 90_000)) !== undefined;
  }
  if (!settled || !(await waitApplied(1, ALL, 120_000))) throw new Error('the 3 replicas did not settle and apply round 1');
  const end = Date.now() + SOAK_MIN * 60_000;
  let commits = 0;
  let missed = 0;
  const fo: number[] = [];
  const applied: number[] = [];
  const moved: number[] = [];
  let survivors = 0;
  let kills = 0;
  const step = async (): Promise<void> => {
    const r = await commitAndWait(repo);
    commits++;
    if (r.ms === undefined) missed++;
    else applied.push(r.ms);
  };
  for (let cycle = 1; Date.now() < end; cycle++) {
    const start = Date.now();
    await revive(fleet);
    const victim = IDS[Math.floor(Math.random() * IDS.length)]!;
    const f = await failover(fleet, repo, victim);
    kills++;
    commits++;
    if (f.ms === undefined) missed++;
    else fo.push(f.ms);
    survivors += f.survivorsMoved;
    await step();
    const m = await rejoin(fleet, victim);
    if (m !== undefined) moved.push(m);
    while (Date.now() - start < 60_000 && Date.now() < end) {
      await step();
      await sleep(3000);
    }
    console.log(
      `[shards] cycle ${cycle}: killed ${short(victim)}, failover ${f.ms === undefined ? '—' : s(f.ms)}, rejoin moved ${m ?? '—'}, load ${load()}`,
    );
  }
  row('soak', `${SOAK_MIN} min, ${kills} kills, ${commits} commits, ${missed} not applied everywhere within 60 s`);
  row('failover (SIGKILL → its syncs at the next commit)', `${range(fo)}, max ${fo.length ? s(Math.max(...fo)) : '—'}`);
  row('commit → all 60 applied (no kill)', range(applied));
  row('rejoin: shards moved', moved.length ? `median ${med(moved)} (${Math.min(...moved)}–${Math.max(...moved)}) of ${N}` : '—');
  row("survivors' shards moved on a kill (total)", String(survivors));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
