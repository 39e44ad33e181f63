// Sharded image write-back on the real stack (issue 21: "0 duplicate write-back commits, 0 force
// pushes"): three daemon processes with --shards 6; the image automation runs with shard 0, on one
// of them. New tags are pushed to the stack's registry while shard 0 moves — its owner SIGKILLed
// mid-run, SIGKILLed right after its push landed, and a kill + restart whose rebalance hands shard
// 0 to the restarted replica. The verdict comes from the git server's own records, not from the
// daemon: the bare repo logs every ref update (core.logAllRefUpdates=always) and each old → new
// must be a fast-forward; the branch's history must hold exactly one commit per new tag; the last
// tag must be committed (nothing lost) and applied.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../daemon/kube/client.js';
import type { DaemonStatus } from '../../daemon/status/index.js';
import { pushImage } from '../stack/image-push.js';
import { ReplicaFleet } from '../support/replica-fleet.js';
import { deleteGroupLeases, shardHolders } from '../support/shard-leases.js';
import { identitiesHandingBackFirst, rejoinMoves, waitSettled } from '../support/shard-moves.js';
import { enableRefLog, forcePushes, markedTag, refUpdates, writebackCounts } from '../support/writeback-audit.js';
import { eventually, gitSourceConfig, setGitEnv, WorkRepo } from './harness.js';
import { writeConfig } from './replicas.js';

const stack = inject('stack');
const run = promisify(execFile);
const SHARDS = 6;
const BOT = 'bot@gitops-seal.io';
const FILE = 'images/app.yaml';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sharded image write-back: shard 0 moving makes no duplicate commit and no force push', () => {
  const id = Date.now().toString(36);
  const group = `e2e-wb-${id}`;
  const ns = group;
  const image = `${stack.registry.token.host}/team/wb-${id}`;
  const repoPath = image.slice(image.indexOf('/') + 1);
  // Names for which shard 0 scores lowest: whoever holds it over its quota hands it back first, so
  // a restart after a kill moves shard 0 to the restarted replica (a rebalance on demand).
  const IDS = identitiesHandingBackFirst(group, SHARDS, 0, 3);
  const short = (m: string | undefined): string => m?.slice(m.lastIndexOf('-') + 1) ?? '—';
  const tagOf = markedTag(image);
  let kube: KubeClient;
  let repo: WorkRepo;
  let bare: string;
  let fleet: ReplicaFleet;
  /** Tags pushed to the registry, in order; each is waited for before the next. */
  const pushed: string[] = [];
  const appYaml = (tag: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: ${ns}\ndata:\n  image: ${image}:${tag} # {"$imagepolicy": "app"}\n`;

  const nextTag = async (): Promise<string> => {
    const t = `1.${pushed.length + 1}.0`;
    await pushImage(stack.registry.token, repoPath, t);
    pushed.push(t);
    return t;
  };
  /** The tag at the branch tip, from the bare repo itself. */
  const tipTag = async (): Promise<string | undefined> => tagOf((await run('git', ['-C', bare, 'show', `refs/heads/main:${FILE}`])).stdout);
  const committed = (t: string): Promise<true> =>
    eventually(`tag ${t} committed`, async () => ((await tipTag()) === t ? true : undefined), 120_000, 100);
  const holders = (): Promise<Map<number, string>> => shardHolders(kube, 'default', group);
  const settled = async (live: readonly string[]): Promise<Map<number, string>> => {
    const h = await waitSettled(kube, 'default', group, SHARDS, live, 120_000);
    if (!h) throw new Error(`shard Leases did not settle for ${live.map(short).join(',')}: ${JSON.stringify([...(await holders())])}`);
    return h;
  };
  /** The replica's JSON log lines (the fleet writes each replica's log to a file of its own). */
  const logOf = (m: string): Record<string, unknown>[] =>
    readFileSync(fleet.logFile(m) ?? join(fleet.logDir, `${m}.log`), 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const localStatus = async (m: string): Promise<DaemonStatus | undefined> => {
    const res = await fetch(`${fleet.url(m)}/status?scope=local`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    return res?.ok ? ((await res.json()) as DaemonStatus) : undefined;
  };
  const moves: string[] = [];

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_REG_USER = stack.registry.token.username;
    process.env.E2E_REG_PASSWORD = stack.registry.token.password;
    kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    await kube.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    await pushImage(stack.registry.token, repoPath, '1.0.0');
    repo = await WorkRepo.create(stack, group);
    bare = join(stack.git.reposDir, `${group}.git`);
    // Before any push the daemon makes: every ref update from here on is in the reflog.
    await enableRefLog(bare);
    await repo.commit({ [FILE]: appYaml('1.0.0') }, 'app 1.0.0');
    const configFile = writeConfig({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: '1s' })],
        syncs: [{ name: group, source: 'repo', path: 'images', kubeconfig: { file: stack.kube.kubeconfig } }],
        images: [
          {
            name: 'app',
            image,
            interval: '1s',
            insecure: true,
            credentials: { usernameFrom: { env: 'E2E_REG_USER' }, passwordFrom: { env: 'E2E_REG_PASSWORD' } },
            policy: { semver: { range: '>=1.0.0' } },
          },
        ],
        imageUpdates: [
          {
            name: 'bump',
            source: 'repo',
            path: 'images',
            author: { name: 'gitops-seal bot', email: BOT },
            messageTemplate: 'app {{newTag}}',
          },
        ],
      },
    });
    fleet = new ReplicaFleet({ configFile, kubeconfig: stack.kube.kubeconfig, group, namespace: 'default', shards: String(SHARDS) });
    await Promise.all(IDS.map((m) => fleet.start(m)));
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const e of fleet.exits) console.error(`replica ${e.identity} exited on its own (code ${e.code}): ${e.reason}`);
    for (const m of IDS) {
      const lines = (() => {
        try {
          return readFileSync(fleet.logFile(m) ?? '', 'utf8')
            .trimEnd()
            .split('\n')
            .slice(-30)
            .join('\n');
        } catch {
          return '(no log)';
        }
      })();
      console.error(`\n----- replica ${m} (last 30 lines) -----\n${lines}`);
    }
  });

  afterAll(async () => {
    await fleet?.stop();
    if (kube) {
      await deleteGroupLeases(kube, 'default', group);
      await kube.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
      kube.close();
    }
    repo?.remove();
  });

  it('three replicas settle and a new tag is committed once', async () => {
    await settled(IDS);
    await committed(await nextTag());
  }, 300_000);

  it('SIGKILL the shard-0 owner while it writes a tag back: the tag is committed, then the next one by its successor', async () => {
    const owner = (await settled(IDS)).get(0)!;
    const t = await nextTag();
    // The owner's scan chose the tag: its run (fetch, commit, push) is starting or under way.
    await eventually(
      `${short(owner)} chose ${t}`,
      async () => logOf(owner).some((l) => l.msg === 'image policy chose a new tag' && l.tag === t),
      60_000,
      50,
    );
    await fleet.kill(owner);
    moves.push(`kill ${short(owner)} mid-run (tip then ${await tipTag()})`);
    await committed(t);
    await committed(await nextTag());
    await fleet.start(owner);
    await settled(IDS);
  }, 300_000);

  it('SIGKILL the shard-0 owner right after its push landed: its successor finds nothing to commit', async () => {
    const owner = (await settled(IDS)).get(0)!;
    const t = await nextTag();
    await eventually(`${t} at the tip`, async () => ((await tipTag()) === t ? true : undefined), 120_000, 25);
    await fleet.kill(owner);
    moves.push(`kill ${short(owner)} after its push`);
    // The successor takes shard 0, scans, chooses t and finds the branch already holds it.
    const killedAt = Date.now();
    const { successor, run } = await eventually(
      'a successor ran the automation after the kill',
      async () => {
        const next = (await holders()).get(0);
        if (!next || next === owner || !fleet.live().includes(next)) return undefined;
        const r = (await localStatus(next))?.imageUpdates[0];
        return r?.lastRunAt && Date.parse(r.lastRunAt) > killedAt ? { successor: next, run: r } : undefined;
      },
      120_000,
      250,
    );
    expect(run.lastReason, run.lastDetail).toBe('no-change');
    moves.push(`successor ${short(successor)}: no change`);
    await committed(await nextTag());
    await fleet.start(owner);
    await settled(IDS);
  }, 300_000);

  it('a kill + restart whose rebalance hands shard 0 over while a tag is pending', async () => {
    let movedOnRejoin = false;
    for (let cycle = 0; cycle < 4 && !movedOnRejoin; cycle++) {
      const h = await settled(IDS);
      const owner = h.get(0)!;
      // The assignment is sticky: pick the replica whose kill and restart moves shard 0 on the restart.
      const fits = rejoinMoves(SHARDS, IDS, h, 0);
      const victim = fits.includes(owner) ? owner : (fits[0] ?? owner);
      await fleet.kill(victim);
      if (victim === owner) await committed(await nextTag());
      const before = (await settled(IDS.filter((m) => m !== victim))).get(0)!;
      // While the restarted replica joins: the moment shard 0 leaves its holder (released, or
      // taken by the restarted replica), a new tag — its write-back waits for the handover or races the drain.
      let t: string | undefined;
      let seen = '';
      let watching = true;
      const watch = (async () => {
        while (watching && !t) {
          const now = (await holders().catch(() => undefined))?.get(0);
          if (now !== undefined && now !== before) {
            seen = now === '' ? 'released' : `held by ${short(now)}`;
            t = await nextTag();
          }
          await sleep(100);
        }
      })();
      await fleet.start(victim);
      await settled(IDS);
      watching = false;
      await watch;
      if (t) await committed(t);
      const after = (await settled(IDS)).get(0)!;
      movedOnRejoin = after !== before;
      moves.push(
        `cycle ${cycle + 1}: kill+restart ${short(victim)} (predicted to move shard 0: ${fits.map(short).join(',') || 'none'}); shard 0 ${short(before)} → ${short(after)}${t ? `, ${t} pushed when shard 0 was ${seen}` : ''}`,
      );
      if (!t) await committed(await nextTag());
    }
    console.log(`[shards-writeback] ${moves.join('; ')}`);
    // The test is about the rebalance path: it must have happened.
    expect(movedOnRejoin).toBe(true);
  }, 600_000);

  it('the last tag is committed and applied; the git server saw one commit per tag and no force push', async () => {
    const last = await nextTag();
    await committed(last);
    await eventually(
      'the last tag applied',
      async () => {
        const cm = await kube.getOptional<{ data?: { image?: string } }>(`/api/v1/namespaces/${ns}/configmaps/app`);
        return cm?.data?.image === `${image}:${last}`;
      },
      120_000,
      250,
    );
    // Some more scans on every replica: a late duplicate would land now.
    await sleep(5000);
    const counts = await writebackCounts(bare, 'main', FILE, BOT, tagOf);
    const forced = await forcePushes(bare, 'main');
    const updates = refUpdates(bare, 'main');
    // From the replicas' logs: one SIGKILLed between its push and its log line is missing here.
    const byReplica = new Map<string, number>();
    for (const m of IDS)
      for (const l of logOf(m)) if (l.msg === 'image update pushed') byReplica.set(short(m), (byReplica.get(short(m)) ?? 0) + 1);
    console.log(
      `[shards-writeback] ${pushed.length} tags, ${counts.commits.length} write-back commits (${[...byReplica].map(([m, n]) => `${m} ${n}`).join(', ')}), ${counts.duplicates} duplicates, ${updates.length} ref updates, ${forced.length} forced`,
    );
    expect(Object.fromEntries(pushed.map((t) => [t, counts.perTag.get(t) ?? 0]))).toEqual(Object.fromEntries(pushed.map((t) => [t, 1])));
    expect(counts.noChange).toEqual([]);
    expect(counts.duplicates).toBe(0);
    expect(counts.tip).toBe(last);
    expect(forced).toEqual([]);
    // The reflog is no empty record: every write-back commit arrived as one logged update.
    const logged = new Set(updates.map((u) => u.new));
    expect(counts.commits.filter((c) => !logged.has(c.commit))).toEqual([]);
    // Shard 0 did move: write-back commits were made by more than one replica.
    expect(byReplica.size).toBeGreaterThan(1);
  }, 300_000);
});
