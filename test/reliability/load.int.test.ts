// Load on the real stack: one daemon process (the real entry point, daemon/main.ts, in a child
// process so its RSS is its own) keeps N ConfigMaps across M syncs of one Git source, then takes
// a burst of webhook-triggered commits. Asserted: no missed commit (every sync ends at the last
// pushed commit and the cluster holds every object with its last written value), memory bounded
// (VmRSS sampled from /proc), no sync left in error. Recorded in one line for the lead:
// initial apply time, webhook → applied p50/p99, RSS peak, fetch count.
//   short form (npm test):        1,000 objects / 10 syncs / burst of 20
//   SOAK=1 (npm run soak):        5,000 objects / 50 syncs / burst of 50
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../stack/procs.js';
import { eventually, kubectl, WorkRepo } from '../e2e/harness.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';

const stack = inject('stack');
const SOAK = process.env.SOAK === '1';
const OBJECTS = SOAK ? 5000 : 1000;
const SYNCS = SOAK ? 50 : 10;
const BURST = SOAK ? 50 : 20;
/** Generous but meaningful: the README's figure is ~150 MiB for 5,000 objects under node dist/. */
const RSS_BOUND_MIB = SOAK ? 600 : 400;
const PER_FILE = 50;
const HOOK_SECRET = 'load-webhook-secret';
const RUN = `load${Date.now().toString(36)}`;
const LABEL = 'gitops-seal.io/load-run';

const syncName = (s: number): string => `${RUN}-s${String(s).padStart(2, '0')}`;
const cm = (s: number, i: number, rev: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(5, '0')}\n  namespace: ${syncName(s)}\n  labels:\n    ${LABEL}: ${RUN}\ndata:\n  index: "${i}"\n  rev: "${rev}"\n  payload: "${'x'.repeat(200)}"\n`;

/** Objects of sync `s`: a Namespace and ConfigMaps in files of 50 documents. */
function syncFiles(s: number, perSync: number, revs: Map<string, number>): Record<string, string> {
  const files: Record<string, string> = {
    [`${syncName(s)}/ns.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${syncName(s)}\n`,
  };
  for (let f = 0; f * PER_FILE < perSync; f++) {
    const docs: string[] = [];
    for (let i = f * PER_FILE; i < Math.min(perSync, (f + 1) * PER_FILE); i++) docs.push(cm(s, i, revs.get(`${s}/${i}`) ?? 0));
    files[`${syncName(s)}/cm-${f}.yaml`] = docs.join('---\n');
  }
  return files;
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

interface Status {
  sources: { fetches: number; skippedFetches: number; commit?: string }[];
  syncs: { name: string; appliedRevision?: string; lastError?: { message: string }; objects: number }[];
}

describe(`load: ${OBJECTS} objects / ${SYNCS} syncs / burst of ${BURST} webhook commits`, () => {
  let repo: WorkRepo;
  let work: string;
  let child: DaemonProcess;
  let base = '';
  const rss: number[] = [];
  let sampler: NodeJS.Timeout | undefined;

  const status = async (): Promise<Status> => (await fetch(`${base}/status`)).json() as Promise<Status>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-load-'));
    repo = await WorkRepo.create(stack, RUN);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const cfg = join(work, 'daemon.yaml');
    writeFileSync(
      cfg,
      stringify({
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: {
          listen: `127.0.0.1:${port}`,
          sources: [
            {
              name: 'repo',
              url: repo.url,
              ref: { branch: 'main' },
              interval: '1h',
              credentials: { usernameFrom: { env: 'LOAD_GIT_USER' }, passwordFrom: { env: 'LOAD_GIT_PASSWORD' } },
              webhook: { type: 'github', secretFrom: { env: 'LOAD_HOOK_SECRET' } },
            },
          ],
          syncs: Array.from({ length: SYNCS }, (_, s) => ({
            name: syncName(s),
            source: 'repo',
            path: syncName(s),
            kubeconfig: { file: stack.kube.kubeconfig },
          })),
        },
      }),
    );
    const files: Record<string, string> = {};
    for (let s = 0; s < SYNCS; s++) Object.assign(files, syncFiles(s, OBJECTS / SYNCS, new Map()));
    await repo.commit(files, 'load: initial objects');
    const env = {
      ...process.env,
      LOAD_GIT_USER: stack.git.username,
      LOAD_GIT_PASSWORD: stack.git.password,
      LOAD_HOOK_SECRET: HOOK_SECRET,
      LOG_LEVEL: 'warn',
    };
    child = await startDaemonProcess({ name: `load-daemon-${RUN}`, args: ['--config', cfg, '--data-dir', join(work, 'data')], env });
    const pid = child.pid;
    sampler = setInterval(() => {
      try {
        rss.push(rssMiB(pid));
      } catch {
        // exited: the assertions below report it
      }
    }, 250);
  }, 300_000);

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    await child?.stop(500);
    // Leave the shared cluster as it was: the namespaces (and their objects) and the inventories.
    const ns = Array.from({ length: SYNCS }, (_, s) => syncName(s));
    await kubectl(stack, ['delete', 'namespace', '--wait=false', '--ignore-not-found', ...ns]).catch(() => undefined);
    await kubectl(stack, [
      'delete',
      'configmap',
      '-n',
      'gitops-seal-system',
      '--ignore-not-found',
      '-l',
      `gitops-seal.io/inventory in (${ns.join(',')})`,
    ]).catch(() => undefined);
    repo?.remove();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'applies everything, follows every burst commit to the last one, within the memory bound',
    async () => {
      const t0 = Date.now();
      const initial = await repo.head();
      await eventually(
        `every sync applied ${initial.slice(0, 12)}`,
        async () => {
          if (!child.alive()) throw new Error(`daemon exited ${child.proc.child.exitCode}: ${child.tail(30)}`);
          const st = await status();
          return st.syncs.length === SYNCS && st.syncs.every((x) => x.appliedRevision === initial);
        },
        SOAK ? 600_000 : 180_000,
        250,
      );
      const initialMs = Date.now() - t0;

      // The burst: commit, push, webhook — without waiting for the daemon in between.
      const shas: string[] = [];
      const sentAt: number[] = [];
      const touched: number[] = [];
      const revs = new Map<string, number>();
      const perSync = OBJECTS / SYNCS;
      const applied = new Map<string, Map<string, number>>(); // sync → sha → first seen applied
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const st = await status().catch(() => undefined);
          const now = Date.now();
          for (const x of st?.syncs ?? []) {
            if (!x.appliedRevision) continue;
            const m = applied.get(x.name) ?? new Map<string, number>();
            if (!m.has(x.appliedRevision)) m.set(x.appliedRevision, now);
            applied.set(x.name, m);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const hooks: Promise<number>[] = [];
      const tb = Date.now();
      for (let c = 0; c < BURST; c++) {
        const s = c % SYNCS;
        const i = (c * 7) % perSync;
        revs.set(`${s}/${i}`, c + 1);
        const file = `${syncName(s)}/cm-${Math.floor(i / PER_FILE)}.yaml`;
        const sha = await repo.commit({ [file]: syncFiles(s, perSync, revs)[file] as string }, `load: burst ${c}`);
        shas.push(sha);
        touched.push(s);
        const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
        sentAt.push(Date.now());
        hooks.push(
          fetch(`${base}/hooks/repo`, {
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`,
            },
          }).then((r) => r.status),
        );
      }
      const burstMs = Date.now() - tb;
      expect(await Promise.all(hooks)).toEqual(shas.map(() => 202));
      const last = shas[shas.length - 1] as string;
      let final: Status | undefined;
      await eventually(
        `every sync at the last burst commit ${last.slice(0, 12)}`,
        async () => {
          if (!child.alive()) throw new Error(`daemon exited ${child.proc.child.exitCode}: ${child.tail(30)}`);
          final = await status();
          return final.syncs.every((x) => x.appliedRevision === last);
        },
        SOAK ? 600_000 : 120_000,
        250,
      );
      polling = false;
      await poller;
      // The last poll may have ended just before the final state: record it as seen now.
      const seenAt = Date.now();
      for (const x of final?.syncs ?? [])
        if (x.appliedRevision && !applied.get(x.name)?.has(x.appliedRevision))
          applied.set(x.name, (applied.get(x.name) ?? new Map<string, number>()).set(x.appliedRevision, seenAt));

      // No missed commit: every sync ends at the last commit, with no error, and the cluster holds
      // every object with the last value written to it.
      for (const x of final?.syncs ?? []) {
        expect(x.lastError, `${x.name}: ${x.lastError?.message}`).toBeUndefined();
        expect(x.objects).toBe(perSync + 1);
      }
      // Columns, not JSON: 5,000 objects with managedFields would overflow execFile's buffer.
      const rows = (
        await kubectl(stack, [
          'get',
          'configmaps',
          '-A',
          '-l',
          `${LABEL}=${RUN}`,
          '--no-headers',
          '-o',
          'custom-columns=NS:.metadata.namespace,NAME:.metadata.name,REV:.data.rev',
        ])
      )
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.trim().split(/\s+/) as [string, string, string]);
      expect(rows).toHaveLength(OBJECTS);
      for (const [ns, name, rev] of rows) {
        const key = `${Number(ns.slice(-2))}/${Number(name.slice(3))}`;
        expect(rev, `${ns}/${name}`).toBe(String(revs.get(key) ?? 0));
      }

      // Webhook → applied: for commit c, when the sync it touched first showed c or a later commit.
      const index = new Map(shas.map((sha, c) => [sha, c]));
      const latency = shas.map((_, c) => {
        const seen = [...(applied.get(syncName(touched[c] as number)) ?? new Map<string, number>()).entries()]
          .filter(([sha]) => (index.get(sha) ?? -1) >= c)
          .map(([, t]) => t);
        return Math.max(0, Math.min(...seen) - (sentAt[c] as number));
      });
      const src = final?.sources[0];
      const peak = Math.max(...rss);
      // The daemon's error and fatal lines (pino levels 50, 60) from its log file.
      const errors = child
        .output()
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line));
      const errorLines = errors.length;
      const fetchFailures = errors.filter((line) => line.includes('fetch failed')).length;
      const errorSamples = errors.slice(0, 3).map((line) => line.slice(0, 400));
      const summary =
        `[load] objects=${OBJECTS} syncs=${SYNCS} burst=${BURST} commits in ${(burstMs / 1000).toFixed(1)}s | initial apply ${(initialMs / 1000).toFixed(1)}s | ` +
        `webhook→applied p50=${pct(latency, 50)}ms p99=${pct(latency, 99)}ms max=${Math.max(...latency)}ms | ` +
        `RSS peak=${peak.toFixed(0)}MiB final=${(rss[rss.length - 1] ?? 0).toFixed(0)}MiB (bound ${RSS_BOUND_MIB}, daemon under tsx) | ` +
        `fetches=${src?.fetches} skipped=${src?.skippedFetches} | daemon error log lines=${errorLines} (failed fetches ${fetchFailures})`;
      console.log(summary);
      for (const l of errorSamples) console.log(`[load] daemon error log: ${l}`);
      expect(latency.every((l) => Number.isFinite(l))).toBe(true);
      expect(rss.length).toBeGreaterThan(0);
      expect(peak).toBeLessThan(RSS_BOUND_MIB);
      // Pushes landing while a fetch runs must not fail it (the fetch brings the newer tip).
      expect(fetchFailures).toBe(0);
    },
    SOAK ? 1_800_000 : 420_000,
  );
});
