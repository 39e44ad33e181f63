// Head to head with Flux on the same apiserver, the same repo, in the same run (issue 17).
//
//   npm run bench:flux        = bash bench/flux/build.sh && tsx bench/flux.ts
//   npx tsx bench/flux.ts [rounds=5] [steadyMinutes=10] [controlMinutes=2]
//   GITOPS_SEAL_STACK_INFO=/tmp/stack-info.json …   the shared stack (default: that file if it
//                                                   exists, else a private apiserver + git server)
//
// Flux (source-controller + kustomize-controller, bench/flux/build.sh) and the gitops-seal daemon
// sync the same generated repo (bench/flux/workload.ts: 1,000 objects, 100 of them SOPS-age
// Secrets) into fresh namespaces, one round after the other, alternating who goes first
// (bench/flux/round.ts). After each round the live objects of both are compared field by field
// (bench/flux/parity.ts). Then each tool alone in a steady-state window on an unchanged repo, and a
// commit with a tampered SOPS file. The table is printed; a parity difference fails the run.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAgeIdentity } from '../keys/index.js';
import { createRepo, authedUrl, startGitServer } from '../test/stack/gitserver.js';
import { kubeBins, startKube } from '../test/stack/kube.js';
import type { GitInfo, KubeInfo } from '../test/stack/types.js';
import { apiserverPid, cmRev, complete, counts, kcall, kget, median, until, type Kube } from './flux/cluster.js';
import { parity } from './flux/parity.js';
import {
  fluxApplied,
  fluxAttempt,
  fluxBuild,
  fluxClientRequests,
  fluxNamespace,
  fluxRemove,
  fluxSync,
  fluxTrigger,
  installFluxCrds,
  SOPS_SECRET,
  startFlux,
  type RunningFlux,
} from './flux/peer.js';
import { ourApplied, ourAttempt, startOurs, type RunningOurs } from './flux/ours.js';
import { BenchRepo, type BenchCommits } from './flux/repo.js';
import { createNamespace, deleteNamespace, runRound, type RoundEnv, type RoundResult, type Tool, type ToolDriver } from './flux/round.js';
import { steadyWindow, totalRequests, perMinute, type Window } from './flux/steady.js';
import { CRD_NAME, TAMPER_CM, cmName, workload } from './flux/workload.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const STEADY_MIN = Number(process.argv[3] ?? 10);
const CONTROL_MIN = Number(process.argv[4] ?? 2);
const INTERVAL = '1m';
const SETTLE_MS = 45_000;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const log = (line: string): void => console.log(`[bench:flux ${new Date().toISOString().slice(11, 19)}] ${line}`);
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const cell = (all: number[], f: (x: number) => string = s): string => {
  const xs = all.filter((x) => !Number.isNaN(x));
  const missed = all.length - xs.length;
  const body = xs.length ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : '—';
  return missed ? `${body}; ${missed} of ${all.length} NOT reverted` : body;
};

interface Cluster {
  kube: KubeInfo;
  git: GitInfo;
  kubectl: string;
  stop(): Promise<void>;
}

async function cluster(): Promise<Cluster> {
  const info = process.env.GITOPS_SEAL_STACK_INFO ?? '/tmp/stack-info.json';
  if (existsSync(info)) {
    const st = JSON.parse(readFileSync(info, 'utf8')) as { kube: KubeInfo; git: GitInfo; bins: { kubectl: string } };
    log(`the shared stack (${info}): ${st.kube.server}, git ${st.git.url}`);
    return { kube: st.kube, git: st.git, kubectl: st.bins.kubectl, stop: async () => undefined };
  }
  log('no stack info file: starting a private kube-apiserver and git server…');
  const kube = await startKube({ nodes: 1, dir: mkdtempSync(join(tmpdir(), 'bench-flux-kube-')) });
  const git = await startGitServer();
  const k: Kube = kube.info;
  await kcall(k, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gitops-seal-system' } });
  return {
    kube: kube.info,
    git: git.info,
    kubectl: join(kubeBins().kubeStack, '..', 'kubectl'),
    stop: async () => {
      await git.stop();
      await kube.stop();
    },
  };
}

async function main(): Promise<number> {
  const build = fluxBuild();
  if (typeof build === 'string') throw new Error(build);
  const c = await cluster();
  const kube: Kube = c.kube;
  const tag = Date.now().toString(36);
  const work = mkdtempSync(join(tmpdir(), 'bench-flux-'));
  const fluxNs = `flux-bench-${tag}`;
  const repoName = `flux-bench-${tag}`;
  const namespaces: string[] = [];
  let flux: RunningFlux | undefined;
  let ours: RunningOurs | undefined;
  const inventories: string[] = [];
  log(
    `${ROUNDS} rounds, steady windows ${STEADY_MIN} min, control ${CONTROL_MIN} min, interval ${INTERVAL}; Flux ${build.source.version}/${build.kustomize.version}; load ${load()}`,
  );
  try {
    const me = await generateAgeIdentity();
    const wl = await workload(me.recipient);
    const url = await createRepo(c.git, repoName);
    const repo = await BenchRepo.create(join(work, 'repo'), authedUrl(c.git, repoName));
    const commits: BenchCommits = await repo.commits(
      Object.fromEntries(Object.entries(wl.files).filter(([p]) => p === 'seed.yaml')),
      wl.files,
      wl.change,
      wl.tampered,
    );
    // The server's HEAD names main: without it our fetch stops at "Could not find HEAD" even for
    // another branch (Flux does not mind); see the README's notes.
    await repo.push(commits.seed, 'main');
    await installFluxCrds(build, c.kubectl, c.kube.kubeconfig);
    await fluxNamespace(kube, fluxNs, c.git, me.identity);
    namespaces.push(fluxNs);
    flux = await startFlux(build, c.kube.kubeconfig, fluxNs, join(work, 'flux'));
    log(`Flux controllers up (pids ${flux.pids.join(', ')}); workload committed (${Object.keys(wl.files).length} files)`);

    let fluxName = '';
    const fluxDriver: ToolDriver = {
      tool: 'flux',
      start: async (branch, ns, round) => {
        fluxName = `r${round}`;
        await fluxSync(kube, fluxNs, fluxName, url, branch, ns, INTERVAL);
      },
      trigger: (commit) => fluxTrigger(kube, fluxNs, fluxName, commit),
      applied: (commit) => fluxApplied(kube, fluxNs, fluxName, commit),
      pids: () => flux?.pids ?? [],
      finish: async (keep) => {
        if (!keep) await fluxRemove(kube, fluxNs, fluxName);
      },
    };
    const ourDriver: ToolDriver = {
      tool: 'gitops-seal',
      start: async (branch, ns, round) => {
        const name = `fb-${tag}-${round}`;
        inventories.push(`gitops-seal-inventory-${name}`);
        ours = await startOurs(
          {
            name,
            url,
            branch,
            targetNamespace: ns,
            ageSecret: { namespace: fluxNs, name: SOPS_SECRET, key: 'age.agekey' },
            interval: INTERVAL,
            kubeconfig: c.kube.kubeconfig,
            git: c.git,
          },
          work,
        );
      },
      trigger: () => (ours ? ours.trigger() : Promise.reject(new Error('daemon not started'))),
      applied: (commit) => (ours ? ourApplied(ours, commit) : Promise.resolve(false)),
      pids: () => (ours ? [ours.daemon.pid] : []),
      finish: async (keep) => {
        if (!keep) await ours?.stop();
      },
    };
    const env: RoundEnv = {
      kube,
      kubectl: c.kubectl,
      kubeconfig: c.kube.kubeconfig,
      commits,
      push: (commit, branch) => repo.push(commit, branch),
      // A uniformly random phase against Flux's 1-minute interval (the patch otherwise lands right
      // after its last reconcile: always the worst case). Ours reverts by watch: no phase to draw.
      driftDelayMs: (t) => (t === 'flux' ? Math.floor(Math.random() * 60_000) : 2000),
      log,
    };

    // ---- rounds ----
    const results: RoundResult[] = [];
    const parityFailures: string[] = [];
    let compared = 0;
    let ignored = '';
    for (let r = 0; r < ROUNDS; r++) {
      const drivers = r % 2 === 0 ? [fluxDriver, ourDriver] : [ourDriver, fluxDriver];
      log(`round ${r + 1}/${ROUNDS}: ${drivers.map((d) => d.tool).join(' then ')} (load ${load()})`);
      const nsOf = (t: Tool): string => `fb-${tag}-r${r}-${t === 'flux' ? 'flux' : 'ours'}`;
      for (const d of drivers) {
        namespaces.push(nsOf(d.tool));
        results.push(await runRound(env, d, r, nsOf(d.tool), `r${r}-${d.tool}`, false));
      }
      const p = await parity(kube, nsOf('flux'), nsOf('gitops-seal'));
      compared = p.compared;
      ignored = p.ignored;
      log(`  parity: ${p.compared} objects compared, ${p.differences.length} differences`);
      for (const d of p.differences.slice(0, 20)) log(`    ${d}`);
      parityFailures.push(...p.differences.map((d) => `round ${r + 1}: ${d}`));
      for (const t of ['flux', 'gitops-seal'] as const) await deleteNamespace(kube, nsOf(t));
    }

    // ---- steady state, each alone; then the tampered commit ----
    const apiPid = apiserverPid(c.kube.server);
    await flux.stop();
    log(`control window: neither tool running, ${CONTROL_MIN} min (load ${load()})`);
    const control = await steadyWindow(kube, 'control (neither tool)', CONTROL_MIN, [], apiPid);
    const windows: Window[] = [control];
    const tamper = new Map<Tool, string>();
    const steady = async (d: ToolDriver, before: () => Promise<void>, client?: () => Promise<Map<string, number>>): Promise<void> => {
      await before();
      const ns = `fb-${tag}-steady-${d.tool === 'flux' ? 'flux' : 'ours'}`;
      namespaces.push(ns);
      const branch = `steady-${d.tool}`;
      await createNamespace(kube, ns);
      await repo.push(commits.change, branch);
      await d.start(branch, ns, 99);
      await until(
        `${d.tool}: steady setup applied in ${ns}`,
        async () => complete(await counts(kube, ns)),
        performance.now(),
        900_000,
        1000,
      );
      log(`${d.tool}: steady setup applied; settling ${SETTLE_MS / 1000} s, then ${STEADY_MIN} min alone (load ${load()})`);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      windows.push(await steadyWindow(kube, d.tool, STEADY_MIN, d.pids(), apiPid, client));
      // The tampered commit: a ConfigMap change and a SOPS file whose ciphertext was altered.
      await repo.push(commits.tampered, branch);
      const t1 = performance.now();
      await d.trigger(commits.tampered).catch((e: unknown) => log(`  ${d.tool}: trigger of the tampered commit: ${String(e)}`));
      let outcome = { failed: false, message: '' };
      let rev: string | undefined;
      while (performance.now() - t1 < 120_000) {
        rev = await cmRev(kube, ns, cmName(TAMPER_CM));
        outcome =
          d.tool === 'flux'
            ? await fluxAttempt(kube, fluxNs, 'r99', commits.tampered)
            : await ourAttempt(ours as RunningOurs, commits.tampered);
        if (rev === 'r3' || outcome.failed) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 5000)); // anything applied late still shows
      rev = await cmRev(kube, ns, cmName(TAMPER_CM));
      const verdict = `${rev === 'r3' ? 'applied the ConfigMap change' : 'nothing applied'}; ${outcome.failed ? 'failure reported' : 'no failure reported'}`;
      tamper.set(d.tool, verdict);
      log(`  ${d.tool} tampered commit: ${verdict}: ${outcome.message.slice(0, 300)}`);
      await d.finish(false);
    };
    await steady(ourDriver, async () => undefined);
    await steady(
      fluxDriver,
      async () => {
        flux = await startFlux(build, c.kube.kubeconfig, fluxNs, join(work, 'flux2'));
      },
      () => fluxClientRequests(flux as RunningFlux),
    );

    // ---- the table ----
    const of = (t: Tool, k: keyof RoundResult): number[] => results.filter((x) => x.tool === t).map((x) => x[k] as number);
    const win = (t: string): Window | undefined => windows.find((w) => w.label === t);
    const [wf, wo] = [win('flux'), win('gitops-seal')];
    const rate = (w: Window | undefined): number => (w ? totalRequests(w.requests) / w.minutes : NaN);
    const net = (w: Window | undefined): number => rate(w) - rate(control);
    const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '—');
    const mib = (x: number): string => `${x.toFixed(0)} MiB`;
    console.log(
      `\n${ROUNDS} rounds, median (min–max); Flux ${build.source.version}; interval ${INTERVAL}; load average at the end ${load()}`,
    );
    console.log('| measure | Flux | gitops-seal | gitops-seal / Flux | target |\n| --- | ---: | ---: | ---: | --- |');
    const row = (m: string, f: string, o: string, q: string, t: string): void => console.log(`| ${m} | ${f} | ${o} | ${q} | ${t} |`);
    const med = (t: Tool, k: keyof RoundResult): number => median(of(t, k));
    row(
      'commit → 1,000 objects applied (first sync)',
      cell(of('flux', 'firstSyncMs')),
      cell(of('gitops-seal', 'firstSyncMs')),
      ratio(med('gitops-seal', 'firstSyncMs'), med('flux', 'firstSyncMs')),
      '≤ 0.5×',
    );
    row(
      '  tool CPU during it',
      cell(of('flux', 'firstSyncCpuMs')),
      cell(of('gitops-seal', 'firstSyncCpuMs')),
      ratio(med('gitops-seal', 'firstSyncCpuMs'), med('flux', 'firstSyncCpuMs')),
      '',
    );
    row(
      'commit → applied (one-file change)',
      cell(of('flux', 'changeMs')),
      cell(of('gitops-seal', 'changeMs')),
      ratio(med('gitops-seal', 'changeMs'), med('flux', 'changeMs')),
      '≤ 0.5×',
    );
    row(
      `drift reverted (Flux at its ${INTERVAL} interval, random phase)`,
      cell(of('flux', 'driftMs')),
      cell(of('gitops-seal', 'driftMs')),
      ratio(med('gitops-seal', 'driftMs'), med('flux', 'driftMs')),
      '≤ 5 s',
    );
    row(
      `steady: apiserver requests/min in the tool's window (control window, neither tool: ${rate(control).toFixed(1)}/min)`,
      rate(wf).toFixed(1),
      rate(wo).toFixed(1),
      ratio(rate(wo), rate(wf)),
      '≤ 0.1×',
    );
    row('  the same, control subtracted', net(wf).toFixed(1), net(wo).toFixed(1), ratio(Math.max(0, net(wo)), net(wf)), '');
    row(
      'steady: tool CPU s/min',
      wf ? (wf.toolCpuMs / 1000 / wf.minutes).toFixed(2) : '—',
      wo ? (wo.toolCpuMs / 1000 / wo.minutes).toFixed(2) : '—',
      wf && wo ? ratio(wo.toolCpuMs / wo.minutes, wf.toolCpuMs / wf.minutes) : '—',
      '',
    );
    row(
      `steady: apiserver CPU s/min (control ${(control.apiserverCpuMs / 1000 / control.minutes).toFixed(2)})`,
      wf ? (wf.apiserverCpuMs / 1000 / wf.minutes).toFixed(2) : '—',
      wo ? (wo.apiserverCpuMs / 1000 / wo.minutes).toFixed(2) : '—',
      '',
      '',
    );
    row(
      'steady RSS, median of 5 s samples (Flux: both controllers)',
      wf ? mib(wf.rssMedian) : '—',
      wo ? mib(wo.rssMedian) : '—',
      ratio(wo?.rssMedian ?? NaN, wf?.rssMedian ?? NaN),
      '≤ 1×',
    );
    row(
      'peak RSS during the rounds (VmHWM)',
      cell(of('flux', 'peakRssMiB'), mib),
      cell(of('gitops-seal', 'peakRssMiB'), mib),
      ratio(Math.max(...of('gitops-seal', 'peakRssMiB')), Math.max(...of('flux', 'peakRssMiB'))),
      '≤ 1×',
    );
    row('tampered SOPS file + ConfigMap change', tamper.get('flux') ?? '—', tamper.get('gitops-seal') ?? '—', '', 'nothing applied');
    for (const w of windows)
      console.log(`requests/min by verb, ${w.label} (${w.minutes} min): ${perMinute(w.requests, w.minutes) || 'none'}`);
    if (wf?.client) console.log(`Flux's own count (rest_client_requests_total), per min: ${perMinute(wf.client, wf.minutes)}`);
    console.log(`parity: ${compared} objects compared per round; ignored: ${ignored}; differences: ${parityFailures.length}`);
    writeFileSync(
      join(tmpdir(), `bench-flux-${tag}.json`),
      JSON.stringify(
        {
          results,
          windows: windows.map((w) => ({
            ...w,
            requests: Object.fromEntries(w.requests),
            client: w.client ? Object.fromEntries(w.client) : undefined,
          })),
          tamper: Object.fromEntries(tamper),
          parityFailures,
        },
        null,
        1,
      ),
    );
    if (parityFailures.length > 0) {
      console.error(
        `PARITY FAILED: ${parityFailures.length} differences between Flux's and gitops-seal's objects:\n  ${parityFailures.slice(0, 50).join('\n  ')}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await ours?.stop().catch(() => undefined);
    await flux?.stop().catch(() => undefined);
    for (const n of namespaces) await kcall(kube, 'DELETE', `/api/v1/namespaces/${n}`).catch(() => undefined);
    for (const inv of inventories)
      await kcall(kube, 'DELETE', `/api/v1/namespaces/gitops-seal-system/configmaps/${inv}`).catch(() => undefined);
    if ((await kget(kube, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`)).status === 200)
      await kcall(kube, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    await c.stop();
  }
}

process.exit(await main());
