// Benchmark of the kustomize render path (run: `npx tsx bench/render-kustomize.ts [objects] [encrypted] [runs]`).
//
// A base of N objects (Deployments and ConfigMaps, `encrypted` of them SOPS-encrypted Secrets)
// and an overlay that sets namespace, namePrefix, labels and an image tag, in the shape of
// daemon/render/testdata. Timed, median of `runs`:
//   1. `kustomize build` of the plaintext tree on disk (the floor: the tool alone);
//   2. renderKustomize cold (graph walk, SOPS verification, scratch layout, kustomize, decode,
//      post-build decryption), with a fresh cache;
//   3. renderKustomize again with the same inputs (cache hit: no kustomize run);
//   4. renderKustomize after a one-file commit (kustomize runs; the unchanged SOPS files are not
//      decrypted again: the per-sync verified-source cache).
// Render only, no apply: the apply side is bench/daemon.ts's, once the engine renders.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { RenderCache, renderKustomize, type KustomizeRenderResult } from '../daemon/render/index.js';
import { encryptText, generateAgeIdentity } from '../keys/index.js';
import { dirRevision } from '../test/support/dir-revision.js';
import { findRenderer } from '../test/stack/tools.js';

const run = promisify(execFile);
const N = Number(process.argv[2] ?? 1000);
const ENCRYPTED = Number(process.argv[3] ?? 50);
const RUNS = Number(process.argv[4] ?? 5);

function object(i: number): string {
  if (i % 2 === 0) {
    return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  key: value-${i}\n  other: "${'x'.repeat(64)}"\n`;
  }
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  selector:\n    matchLabels: {app: app-${i}}\n  template:\n    metadata:\n      labels: {app: app-${i}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0.0\n`;
}

const secret = (i: number): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-${i}\ntype: Opaque\nstringData:\n  password: pw-${i}\n`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const kustomize = findRenderer('kustomize');
  const me = await generateAgeIdentity();
  const keys = { ageIdentities: [me.identity], dataKeyCache: new Map<string, Uint8Array>() };
  const dir = await mkdtemp(join(tmpdir(), 'bench-render-'));
  try {
    const files: Record<string, string> = {};
    const plain: Record<string, string> = {};
    const resources: string[] = [];
    for (let i = 0; i < N - ENCRYPTED; i++) {
      files[`apps/base/o-${i}.yaml`] = object(i);
      resources.push(`o-${i}.yaml`);
    }
    for (let i = 0; i < ENCRYPTED; i++) {
      const p = `apps/base/secret-${i}.enc.yaml`;
      plain[p] = secret(i);
      files[p] = await encryptText(secret(i), { format: 'yaml', source: p, keys: { age: [me.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } }, keys);
      resources.push(`secret-${i}.enc.yaml`);
    }
    files['apps/base/kustomization.yaml'] = `resources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;
    files['apps/prod/kustomization.yaml'] = 'namespace: prod\nnamePrefix: prod-\nlabels:\n  - pairs: {env: prod}\nresources: [../base]\nimages:\n  - name: registry.example.com/app\n    newTag: 1.2.3\n';
    // The plaintext tree for the reference `kustomize build` (a bench's own temp dir, removed below).
    const ref = join(dir, 'plain');
    for (const [p, t] of Object.entries({ ...files, ...plain })) {
      await mkdir(dirname(join(ref, p)), { recursive: true });
      await writeFile(join(ref, p), t);
    }
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const revision = dirRevision(empty, files);

    const build: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const oneFile: number[] = [];
    let objects = 0;
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      await run(kustomize, ['build', 'apps/prod'], { cwd: ref, maxBuffer: 256 << 20 });
      build.push(performance.now() - t);
      const cache = new RenderCache<KustomizeRenderResult>();
      const sourceCache = new Map();
      t = performance.now();
      const res = await renderKustomize({ sync: 'bench', path: 'apps/prod', revision, keys, kustomize, cache, sourceCache });
      cold.push(performance.now() - t);
      objects = res.objects.length;
      t = performance.now();
      const again = await renderKustomize({ sync: 'bench', path: 'apps/prod', revision, keys, kustomize, cache });
      warm.push(performance.now() - t);
      if (!again.cached) throw new Error('expected a cache hit');
      const changed = dirRevision(empty, { ...files, 'apps/base/o-0.yaml': object(0).replace('value-0', `value-0-${r}`) });
      t = performance.now();
      const after = await renderKustomize({ sync: 'bench', path: 'apps/prod', revision: changed, keys, kustomize, cache, sourceCache });
      oneFile.push(performance.now() - t);
      if (after.cached) throw new Error('expected a re-render');
    }
    const f = (ms: number): string => `${ms.toFixed(0)} ms`;
    console.log(`objects rendered: ${objects} (${ENCRYPTED} SOPS-encrypted Secrets), runs: ${RUNS}, cpus: ${cpus().length}, load average: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`kustomize build (plaintext tree on disk): median ${f(median(build))} (min ${f(Math.min(...build))})`);
    console.log(`renderKustomize cold:                     median ${f(median(cold))} (min ${f(Math.min(...cold))}), ratio ${(median(cold) / median(build)).toFixed(2)}x`);
    console.log(`renderKustomize cache hit:                median ${f(median(warm))} (min ${f(Math.min(...warm))})`);
    console.log(`renderKustomize one-file commit:          median ${f(median(oneFile))} (min ${f(Math.min(...oneFile))}), ratio ${(median(oneFile) / median(build)).toFixed(2)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
