// Rendered syncs vs the tools' own pipelines, on a real kube-apiserver (issue 15 item 5):
//
//   kustomize: `kustomize build <overlay> | kubectl apply --server-side -f -`  vs our kustomize sync
//   helm:      `helm template … -f values | kubectl apply --server-side -f -`  vs our helm sync
//   plain:     our plain-YAML sync of the same objects (the issue's second yardstick)
//
// Same objects everywhere: N - S ConfigMaps and S Secrets. Our side reads a real Git revision
// (the daemon's Git reader over a local commit: no fetch in either column) with the Secrets
// SOPS-encrypted (kustomize: one file each as a resource; helm: one encrypted values file; plain:
// one file each); the baselines read plaintext from disk. Each path runs twice per round: the
// initial apply into a fresh namespace (created beforehand, untimed), then a no-op re-apply
// (baseline: the same pipeline again; ours: the same revision again, render cache warm — what a
// commit outside the rendered tree costs; the daemon skips an unchanged commit altogether; for
// helm the steady state after the first upgrade render, see below).
// Paths run in a rotating order per round; medians and ranges are printed with the load average.
//
// Our path: the engine's reconcile, as the daemon's SyncController runs it — loadRevision (render
// for a kustomization or a helm sync, else read; parse; scope), dry-run of every object, apply,
// inventory — with the sync's render caches, cluster capabilities and isUpgrade wired the same way.
//
//   npx tsx bench/render.ts [objects=1000] [rounds=3] [secrets=50]
//   GITOPS_SEAL_STACK_INFO=/tmp/stack-info.json …   reuse a running stack's kube-apiserver
//                                                   (else a private one is started and stopped)
// Needs the stack's cached kustomize, helm and kube builds (test/stack/install.sh).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ResourceManager } from '../daemon/apply/index.js';
import {
  cachedCapabilities,
  clusterCapabilities,
  findRenderers as findEngineRenderers,
  applyDesired,
  loadRevision,
  newRenderCaches,
  type DesiredState,
  type RenderContext,
  type SyncDeps,
  type SyncSettings,
} from '../daemon/engine/index.js';
import { InventoryStore } from '../daemon/inventory/inventory.js';
import { KubeClient } from '../daemon/kube/client.js';
import type { HelmReleaseSpec } from '../daemon/render/index.js';
import { encryptText, generateAgeIdentity, type KeyContext } from '../keys/index.js';
import { kubeBins, startKube } from '../test/stack/kube.js';
import { findRenderers } from '../test/stack/tools.js';
import type { StackInfo } from '../test/stack/types.js';
import { testRepo } from '../test/support/git-revision.js';

const run = promisify(execFile);
const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const S = Number(process.argv[4] ?? 50);
const PER_FILE = 50;
const LABELS = { env: 'staging', team: 'bench' };

const cm = (i: number, ns?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  index: "${i}"\n  payload: "${'x'.repeat(200)}"\n`;
const secret = (i: number, ns?: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-${i}\n${ns ? `  namespace: ${ns}\n` : ''}type: Opaque\nstringData:\n  password: bench-pw-${i}\n`;

/** N - S ConfigMaps in files of PER_FILE documents, and S Secrets (one per file), under `dir`. */
function objectFiles(dir: string, ns?: string): { cms: Record<string, string>; secrets: Record<string, string> } {
  const cms: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (let f = 0; f * PER_FILE < N - S; f++) {
    const docs: string[] = [];
    for (let i = f * PER_FILE; i < Math.min(N - S, (f + 1) * PER_FILE); i++) docs.push(cm(i, ns));
    cms[`${dir}/cm-${f}.yaml`] = docs.join('---\n');
  }
  for (let i = 0; i < S; i++) secrets[`${dir}/secret-${i}.yaml`] = secret(i, ns);
  return { cms, secrets };
}

// What the overlay and the chart do to the objects, so plain YAML gets the same objects.
const overlay = (ns: string): string =>
  `namespace: ${ns}\nnamePrefix: stg-\nlabels:\n  - pairs: ${JSON.stringify(LABELS)}\nresources:\n  - ../base\n`;
const CHART_TEMPLATE = `{{- range $i := until (int .Values.configMaps) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: stg-cm-{{ $i }}
  namespace: {{ $.Release.Namespace }}
  labels: {env: staging, team: bench}
data:
  index: "{{ $i }}"
  payload: {{ $.Values.payload | quote }}
{{- end }}
{{- range $i := until (int .Values.secrets) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: stg-secret-{{ $i }}
  namespace: {{ $.Release.Namespace }}
  labels: {env: staging, team: bench}
type: Opaque
stringData:
  password: {{ printf "%s-%d" $.Values.password $i | quote }}
{{- end }}
`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
async function time(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function kubeconfigOf(): Promise<{ kubeconfig: string; stop: () => Promise<void> }> {
  const info = process.env.GITOPS_SEAL_STACK_INFO;
  if (info && existsSync(info)) {
    const stack = JSON.parse(readFileSync(info, 'utf8')) as StackInfo;
    console.log(`[bench] reusing the stack's kube-apiserver (${info})`);
    return { kubeconfig: stack.kube.kubeconfig, stop: async () => undefined };
  }
  console.log('[bench] starting a private kube-apiserver…');
  const kube = await startKube({ nodes: 1, dir: mkdtempSync(join(tmpdir(), 'bench-render-kube-')) });
  return { kubeconfig: kube.info.kubeconfig, stop: () => kube.stop() };
}

async function main(): Promise<void> {
  const { kustomize, helm } = findRenderers();
  const kubectl = join(kubeBins().kubeStack, '..', 'kubectl');
  const kube = await kubeconfigOf();
  const work = mkdtempSync(join(tmpdir(), 'bench-render-'));
  const repo = await testRepo();
  const tag = Date.now().toString(36);
  const namespaces: string[] = [];
  const client = await KubeClient.load({ kubeconfig: kube.kubeconfig });
  try {
    const me = await generateAgeIdentity();
    const enc = (path: string, text: string): Promise<string> =>
      encryptText(
        text,
        { format: 'yaml', source: path, keys: { age: [me.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
        {},
      );
    const disk = (rel: string, text: string): void => {
      mkdirSync(dirname(join(work, rel)), { recursive: true });
      writeFileSync(join(work, rel), text, { mode: 0o600 });
    };
    console.log(`[bench] ${N} objects (${S} Secrets), ${ROUNDS} rounds; writing the trees (load ${load()})`);

    // Kustomize: a base (Secrets SOPS-encrypted in Git, plaintext on disk for the baseline) and
    // one overlay per round and side, each setting its own namespace.
    const base = objectFiles('kust/base');
    const files = Object.keys({ ...base.cms, ...base.secrets }).map((p) => p.slice('kust/base/'.length));
    for (const [p, t] of Object.entries(base.cms)) {
      repo.write(p, t);
      disk(p, t);
    }
    for (const [p, t] of Object.entries(base.secrets)) {
      repo.write(p, await enc(p, t));
      disk(p, t);
    }
    const kbase = `resources:\n${files.map((f) => `  - ${f}\n`).join('')}`;
    repo.write('kust/base/kustomization.yaml', kbase);
    disk('kust/base/kustomization.yaml', kbase);
    const ns = (what: string, r: number): string => `bench-${what}-${tag}-${r}`;
    for (let r = 0; r < ROUNDS; r++) {
      repo.write(`kust/r${r}/kustomization.yaml`, overlay(ns('ko', r)));
      disk(`kust/r${r}/kustomization.yaml`, overlay(ns('kb', r)));
    }
    // Helm: one chart, plain values plus a SOPS values file (plaintext on disk for the baseline).
    const chart = { 'chart/Chart.yaml': 'apiVersion: v2\nname: bulk\nversion: 1.0.0\n', 'chart/templates/bulk.yaml': CHART_TEMPLATE };
    const plainValues = `configMaps: ${N - S}\nsecrets: ${S}\npayload: "${'x'.repeat(200)}"\n`;
    const secretValues = 'password: bench-secret-value\n';
    for (const [p, t] of Object.entries({ ...chart, 'values/plain.yaml': plainValues })) {
      repo.write(p, t);
      disk(p, t);
    }
    repo.write('values/secret.enc.yaml', await enc('values/secret.enc.yaml', secretValues));
    disk('values/secret.yaml', secretValues);
    // Plain YAML: the overlay's objects as committed files, Secrets encrypted one per file.
    for (let r = 0; r < ROUNDS; r++) {
      const p = objectFiles(`plain/r${r}`, ns('po', r));
      const named = (t: string): string =>
        t
          .replace(/name: (cm|secret)-/g, 'name: stg-$1-')
          .replace(/\n {2}namespace:/g, `\n  labels: ${JSON.stringify(LABELS)}\n  namespace:`);
      for (const [f, t] of Object.entries(p.cms)) repo.write(f, named(t));
      for (const [f, t] of Object.entries(p.secrets)) repo.write(f, await enc(f, named(t)));
    }
    const revision = await repo.commit('bench');
    const keys: KeyContext = { ageIdentities: [me.identity], dataKeyCache: new Map() };

    const invNs = `bench-inv-${tag}`;
    for (const n of [invNs, ...['kb', 'ko', 'hb', 'ho', 'po'].flatMap((w) => Array.from({ length: ROUNDS }, (_, r) => ns(w, r)))]) {
      await run(kubectl, [`--kubeconfig=${kube.kubeconfig}`, 'create', 'namespace', n]);
      namespaces.push(n);
    }
    const inventory = new InventoryStore(client, { namespace: invNs });
    // A sync as the daemon's SyncController builds it (daemon/runtime/sync-controller.ts): fresh
    // file and render caches, capabilities from the cluster, isUpgrade from the inventory.
    const renderers = findEngineRenderers({ ...process.env, GITOPS_SEAL_KUSTOMIZE: kustomize, GITOPS_SEAL_HELM: helm });
    const deps = (name: string, path: string, helmSpec?: HelmReleaseSpec): SyncDeps => {
      const settings: SyncSettings = {
        name,
        path,
        prune: true,
        force: false,
        wait: false,
        timeoutMs: 120_000,
        maxPruneRatio: 0.5,
        allowEmpty: false,
        ...(helmSpec ? { helm: helmSpec } : {}),
      };
      const manager = new ResourceManager(client, { syncName: name });
      const render: RenderContext = {
        renderers,
        caches: newRenderCaches(),
        capabilities: cachedCapabilities(() => clusterCapabilities(client, manager.mapper)),
        isUpgrade: async () => ((await inventory.load(name))?.entries.length ?? 0) > 0,
      };
      return { settings, manager, inventory, keys, fileCache: new Map(), render };
    };
    // The engine's reconcile — loadRevision (render or read, parse, scope) then applyDesired
    // (dry-run, apply, inventory), which is all reconcile() is — timed in two parts; then the same
    // revision again with the previous outcome, as the SyncController passes it.
    const loadMs = new Map<string, number[]>();
    const ours = async (d: SyncDeps, name: string): Promise<[number, number]> => {
      const { settings, keys: k, manager, fileCache, render } = d;
      const once = async (previous?: DesiredState): Promise<{ out: DesiredState; load: number; total: number }> => {
        const t0 = performance.now();
        const loaded = await loadRevision({ settings, revision, keys: k, mapper: manager.mapper, fileCache, render });
        const load = performance.now() - t0;
        const out = await applyDesired(d, loaded, previous);
        return { out, load, total: performance.now() - t0 };
      };
      const first = await once();
      loadMs.set(name, [...(loadMs.get(name) ?? []), first.load]);
      let last = first.out;
      if (settings.helm) {
        // The first re-apply renders again: `.Release.IsUpgrade` is now true, which is part of the
        // render identity. From then on the render cache answers; that steady state is timed.
        const upgrade = await once(last);
        last = upgrade.out;
        console.log(`[bench]   helm: first re-apply (renders as an upgrade) ${upgrade.total.toFixed(0)} ms`);
      }
      const again = await once(last);
      console.log(
        `[bench]   ${name}: load (render/read + parse + scope) ${first.load.toFixed(0)} ms initial, ${again.load.toFixed(0)} ms no-op`,
      );
      return [first.total, again.total];
    };
    const applyFlags = (): string[] => [`--kubeconfig=${kube.kubeconfig}`, 'apply', '--server-side', '--field-manager=bench', '-f', '-'];

    // One path = its initial apply and its no-op re-apply, timed separately.
    type Path = (r: number) => Promise<[number, number]>;
    const pipe = async (name: string, producer: string[]): Promise<[number, number]> => {
      // The tool alone first (its output discarded), for the "of which" column: what the
      // pipeline spends before kubectl gets its input.
      const alone = await time(() => run('/bin/bash', ['-c', '"$@" >/dev/null', 'bench', ...producer]));
      loadMs.set(name, [...(loadMs.get(name) ?? []), alone]);
      // bash: the two processes run concurrently as in a shell pipeline; pipefail keeps a failure visible.
      const cmd = ['-c', 'set -o pipefail; "$@" | ' + `"${kubectl}" ${applyFlags().join(' ')} >/dev/null`, 'bench', ...producer];
      const once = (): Promise<number> => time(() => run('/bin/bash', cmd, { maxBuffer: 1 << 26 }));
      return [await once(), await once()];
    };
    const paths: Record<string, Path> = {
      'kustomize build + kubectl apply': (r) => pipe('kustomize build + kubectl apply', [kustomize, 'build', join(work, `kust/r${r}`)]),
      'helm template + kubectl apply': (r) =>
        pipe('helm template + kubectl apply', [
          helm,
          'template',
          'bulk',
          join(work, 'chart'),
          '--namespace',
          ns('hb', r),
          '-f',
          join(work, 'values/plain.yaml'),
          '-f',
          join(work, 'values/secret.yaml'),
        ]),
      'gitops-seal kustomize': (r) => ours(deps(`ko-${r}`, `kust/r${r}`), 'gitops-seal kustomize'),
      'gitops-seal helm': (r) =>
        ours(
          deps(`ho-${r}`, '', {
            chart: { git: { path: 'chart' } },
            release: { name: 'bulk', namespace: ns('ho', r) },
            valuesFiles: ['values/plain.yaml', 'values/secret.enc.yaml'],
            includeCrds: true,
          }),
          'gitops-seal helm',
        ),
      'gitops-seal plain YAML': (r) => ours(deps(`po-${r}`, `plain/r${r}`), 'gitops-seal plain YAML'),
    };

    // Untimed warm-up: module loading, the first TLS session, kubectl's discovery cache.
    await run(kubectl, [`--kubeconfig=${kube.kubeconfig}`, 'api-resources'], { maxBuffer: 1 << 24 });
    await new ResourceManager(client, { syncName: 'warm' }).validate([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warm', namespace: invNs } },
    ]);

    const results = new Map<string, { initial: number[]; noop: number[] }>();
    const names = Object.keys(paths);
    for (let r = 0; r < ROUNDS; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length] as string);
      for (const name of order) {
        const [initial, noop] = await (paths[name] as Path)(r);
        const e = results.get(name) ?? { initial: [], noop: [] };
        e.initial.push(initial);
        e.noop.push(noop);
        results.set(name, e);
        console.log(
          `[bench] round ${r + 1}/${ROUNDS} ${name}: initial ${initial.toFixed(0)} ms, no-op ${noop.toFixed(0)} ms (load ${load()})`,
        );
      }
    }

    const cell = (xs: number[]): string =>
      `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;
    const ratio = (a: string, b: string, k: 'initial' | 'noop'): string =>
      `${(median(results.get(a)?.[k] ?? []) / median(results.get(b)?.[k] ?? [])).toFixed(2)}×`;
    console.log(
      `\n${N} objects (${N - S} ConfigMaps, ${S} Secrets), ${ROUNDS} rounds, median (min–max); load average at the end ${load()}`,
    );
    console.log(
      '| path | initial apply | of which load (ours: render/read, parse; pipelines: the tool alone) | no-op re-apply |\n| --- | ---: | ---: | ---: |',
    );
    for (const [name, e] of results) {
      const l = loadMs.get(name);
      console.log(`| ${name} | ${cell(e.initial)} | ${l ? cell(l) : '—'} | ${cell(e.noop)} |`);
    }
    for (const [ours, base] of [
      ['gitops-seal kustomize', 'kustomize build + kubectl apply'],
      ['gitops-seal helm', 'helm template + kubectl apply'],
    ] as const) {
      console.log(
        `${ours}: ${ratio(ours, base, 'initial')} / ${ratio(ours, base, 'noop')} of \`${base}\` (target ≤ 0.6×), ` +
          `${ratio(ours, 'gitops-seal plain YAML', 'initial')} / ${ratio(ours, 'gitops-seal plain YAML', 'noop')} of our plain YAML (target ≤ 1.3×)  [initial / no-op]`,
      );
    }
  } finally {
    for (const n of namespaces)
      await run(kubectl, [`--kubeconfig=${kube.kubeconfig}`, 'delete', 'namespace', n, '--wait=false']).catch(() => undefined);
    client.close();
    repo.remove();
    rmSync(work, { recursive: true, force: true });
    await kube.stop();
  }
}

await main();
process.exit(0);
