// Fault (e): the daemon process is SIGKILLed at seeded random instants across the sync and
// write-back windows, then restarted — the way a node loss or OOM kill would hit it. Each round
// pushes a revision that replaces 25 of its 80 ConfigMaps, and a new image tag the automation
// must write back; every other round Git moves again while the daemon is dead (dropping what the
// killed apply may have half-created). After each restart: converged on the Git tip within two
// intervals, no orphan, inventory equal to Git, exactly one write-back commit per tag, and a
// linear history in which every earlier tip is kept (nothing force-pushed).
// Rounds: 5 in `npm test`, 30 with SOAK=1; seed: FAULTS_SEED (default below), printed.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../stack/image-push.js';
import { seededRandom } from '../support/fault-proxy.js';
import { markedDeployment, WorkRepo } from '../e2e/harness.js';
import {
  bumpedTags,
  configMaps,
  cleanupShared,
  converge,
  daemonConfig,
  DaemonChild,
  history,
  inventoryObjects,
  isAncestor,
  kubectlIn,
  namespaceYaml,
  orphans,
  ownedObjects,
  record,
  SOAK,
  status,
  syncOf,
  type KubeAccess,
} from './fault-helpers.js';

const stack = inject('stack');
const ID = Date.now().toString(36);
// Unique per run: the shared cluster keeps inventories of earlier runs.
const SYNC = `faults-kill-${ID}`;
const NS = `faults-kill-${ID}`;
const INTERVAL_MS = 5000;
const BOT = 'bot@faults.gitops-seal.io';
const ROUNDS = SOAK ? 30 : 5;
/** ConfigMaps in every revision, and how many each revision replaces (~30%: under the 50% prune guard). */
const SET = 80;
const STEP = 25;
const SEED = Number(process.env.FAULTS_SEED ?? 20261202);
/**
 * Kill instants are drawn from [0, WINDOW_MS) after the push, which a webhook announces at once:
 * that window holds the fetch, the dry-run and apply of ~160 objects, the prune, the scan that
 * finds the new tag and the write-back push (each ~0.2–2 s on the 2-core machine).
 */
const WINDOW_MS = 4000;
const HOOK_SECRET = randomBytes(16).toString('hex');
const image = `${stack.registry.basic.host}/faults/kill-${ID}`;
const repoPath = image.slice(image.indexOf('/') + 1);

const deployment = (tag: string): string => markedDeployment(NS, image, tag);

describe(`fault: daemon SIGKILLed at seeded random points (${ROUNDS} rounds, seed ${SEED})`, () => {
  let repo: WorkRepo;
  let daemon: DaemonChild;
  const k: KubeAccess = { kubectl: stack.bins.kubectl, kubeconfig: stack.kube.kubeconfig };
  let counter = 0;
  let names: string[] = [];
  const fresh = (n: number): string[] => Array.from({ length: n }, () => `k-${String(counter++).padStart(4, '0')}`);
  const expected = (): string[] => [`Deployment/${NS}/web`, `Namespace//${NS}`, ...names.map((n) => `ConfigMap/${NS}/${n}`)].sort();
  const pushSet = async (msg: string): Promise<string> => {
    await repo.git(['pull', '--quiet', '--rebase', 'origin', 'main']);
    return repo.commit({ 'app/set.yaml': configMaps(names, NS, { round: msg }) }, msg);
  };
  /** The push webhook (generic HMAC), so the fetch starts now rather than at the next interval. */
  const hook = async (): Promise<void> => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sig = createHmac('sha256', HOOK_SECRET).update(body).digest('hex');
    const res = await fetch(`${daemon.url}/hooks/repo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': `sha256=${sig}` },
      body,
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`webhook -> ${res.status}`);
  };
  const remoteHead = async (): Promise<string> => (await repo.git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0] ?? '';
  const liveImage = async (): Promise<string> =>
    kubectlIn(k, ['get', 'deployment', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);

  beforeAll(async () => {
    await pushImage(stack.registry.basic, repoPath, '1.0.0');
    repo = await WorkRepo.create(stack, `faults-kill-${ID}`);
    names = fresh(SET);
    await repo.commit(
      { 'app/ns.yaml': namespaceYaml(NS), 'app/web.yaml': deployment('1.0.0'), 'app/set.yaml': configMaps(names, NS, { round: '0' }) },
      'round 0',
    );
    daemon = await DaemonChild.create(
      daemonConfig({
        sources: [
          {
            name: 'repo',
            url: repo.url,
            ref: { branch: 'main' },
            interval: `${INTERVAL_MS}ms`,
            credentials: { usernameFrom: { env: 'FAULTS_GIT_USER' }, passwordFrom: { env: 'FAULTS_GIT_PASSWORD' } },
            webhook: { type: 'generic', secretFrom: { env: 'FAULTS_HOOK_SECRET' } },
          },
        ],
        syncs: [{ name: SYNC, source: 'repo', path: 'app', interval: `${INTERVAL_MS}ms`, kubeconfig: { file: stack.kube.kubeconfig } }],
        images: [
          {
            name: 'app',
            image,
            interval: '1s',
            insecure: true,
            policy: { semver: { range: '>=1.0.0' } },
            credentials: { usernameFrom: { env: 'FAULTS_REG_USER' }, passwordFrom: { env: 'FAULTS_REG_PASSWORD' } },
          },
        ],
        imageUpdates: [{ name: 'bump', source: 'repo', path: 'app', author: { name: 'faults bot', email: BOT } }],
      }),
      {
        FAULTS_GIT_USER: stack.git.username,
        FAULTS_GIT_PASSWORD: stack.git.password,
        FAULTS_REG_USER: stack.registry.basic.username,
        FAULTS_REG_PASSWORD: stack.registry.basic.password,
        FAULTS_HOOK_SECRET: HOOK_SECRET,
        NODE_OPTIONS: '--max-semi-space-size=1 --max-old-space-size=160',
      },
    );
    await daemon.start();
    const head = await repo.head();
    await converge('round 0 applied', async () => syncOf(await status(daemon.url), SYNC)?.appliedRevision === head, 90_000, 200);
  });

  afterAll(async () => {
    await daemon?.stop();
    daemon?.remove();
    repo?.remove();
    await cleanupShared(k, NS, SYNC);
  });

  it(
    'converges after every kill with no orphan, no duplicate write-back and no force-push',
    async () => {
      const rng = seededRandom(SEED);
      const tips: string[] = [await remoteHead()];
      const rounds: Record<string, unknown>[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const tag = `1.${round}.0`;
        names = [...names.slice(STEP), ...fresh(STEP)];
        const pushedAt = Date.now();
        await pushSet(`round ${round}`);
        await pushImage(stack.registry.basic, repoPath, tag);
        await hook();
        const killAfter = Math.floor(rng() * WINDOW_MS);
        await new Promise((r) => setTimeout(r, Math.max(0, killAfter - (Date.now() - pushedAt))));
        // What the daemon had done when it died (best effort: /status just before the kill).
        const before = await status(daemon.url).catch(() => undefined);
        await daemon.kill();
        const killedAt = Date.now();
        const appliedBefore = before ? syncOf(before, SYNC)?.appliedRevision : undefined;
        await repo.git(['fetch', '--quiet', 'origin']);
        const phase = {
          newRevisionApplied: appliedBefore !== undefined && appliedBefore !== tips.at(-1),
          wroteBack: (await bumpedTags(repo.dir, 'origin/main', BOT, image)).includes(tag),
        };
        // Every other round Git moves while the daemon is dead: the names just added (maybe
        // half-created by the killed apply) leave again, as many others arrive.
        const movedWhileDown = rng() < 0.5;
        if (movedWhileDown) {
          names = [...names.slice(0, names.length - STEP), ...fresh(STEP)];
          await pushSet(`round ${round}: moved while down`);
        }
        await daemon.start();
        const restartMs = Date.now() - killedAt;
        let tip = '';
        const convergeMs = await converge(
          `round ${round}: tip applied with tag ${tag}`,
          async () => {
            tip = await remoteHead();
            const s = syncOf(await status(daemon.url), SYNC);
            return s?.appliedRevision === tip && s.lastError === undefined && (await liveImage()) === `${image}:${tag}`;
          },
          8 * INTERVAL_MS,
          200,
        ).catch((err: unknown) => {
          if (daemon.process) console.error(`[faults] daemon log tail (round ${round}):\n${daemon.process.tail(30)}`);
          throw err;
        });

        const owned = await ownedObjects(k, SYNC, 'configmaps,deployments,namespaces');
        const inv = await inventoryObjects(k, SYNC);
        await repo.git(['fetch', '--quiet', 'origin']);
        const tags = await bumpedTags(repo.dir, 'origin/main', BOT, image);
        const merges = (await history(repo.dir, 'origin/main')).filter((c) => c.parents.length > 1);
        const kept = await Promise.all(tips.map((t) => isAncestor(repo.dir, t, tip)));
        tips.push(tip);
        const r = {
          round,
          killAfterMs: killAfter,
          ...phase,
          movedWhileDown,
          restartMs,
          convergeMs,
          orphans: orphans(owned, expected()).length,
        };
        rounds.push(r);
        record('daemon SIGKILL round', r);
        expect(orphans(owned, expected()), `round ${round}: orphans`).toEqual([]);
        expect(owned, `round ${round}: objects`).toEqual(expected());
        expect(inv, `round ${round}: inventory`).toEqual(expected());
        expect(tags, `round ${round}: one write-back commit per tag`).toEqual(Array.from({ length: round }, (_, i) => `1.${i + 1}.0`));
        expect(merges).toEqual([]);
        expect(kept.every(Boolean), `round ${round}: earlier tips kept`).toBe(true);
        expect(convergeMs, `round ${round}: converged within 2 intervals of the restart`).toBeLessThanOrEqual(2 * INTERVAL_MS);
      }
      const times = rounds.map((r) => r.convergeMs as number).sort((a, b) => a - b);
      record('daemon SIGKILL summary', {
        rounds: ROUNDS,
        seed: SEED,
        convergeMsMedian: times[Math.floor(times.length / 2)],
        convergeMsMax: times.at(-1),
      });
    },
    (ROUNDS * 60 + 60) * 1000,
  );
});
