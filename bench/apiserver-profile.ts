// Where kube-apiserver spends its CPU on each kind of request the daemon sends, next to
// kubectl's: a private apiserver with /debug/pprof on, a CPU profile taken while one workload
// runs in a loop (fresh namespaces, N ConfigMaps each):
//   dry-run  ResourceManager.validate (server-side apply, dryRun=All)
//   apply    ResourceManager.apply (the write pass)
//   kubectl  kubectl apply --server-side -f (one file of N objects)
// Prints the top functions (flat and cumulative) of each profile via `go tool pprof` and keeps
// the profiles for a closer look. Usage: [N=1000] [SECONDS=15] [W=dry-run,apply,kubectl] npx tsx bench/apiserver-profile.ts
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResourceManager } from '../daemon/apply/index.js';
import { KubeClient } from '../daemon/kube/client.js';
import type { KubeObject } from '../daemon/kube/types.js';
import { kubeBins, startKube } from '../test/stack/kube.js';

const run = promisify(execFile);
const N = Number(process.env.N ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 15);
const workloads = (process.env.W ?? 'dry-run,apply,kubectl').split(',');
const out = mkdtempSync(join(tmpdir(), 'apiserver-profile-'));
const kube = await startKube({ nodes: 1, profiling: true, dir: join(out, 'kube') });
const kubectl = join(kubeBins().kubeStack, '..', 'kubectl');
const kc = [`--kubeconfig=${kube.info.kubeconfig}`];

function profile(seconds: number): Promise<Buffer> {
  const url = new URL(`/debug/pprof/profile?seconds=${seconds}`, kube.info.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: readFileSync(kube.info.caFile), headers: { authorization: `Bearer ${kube.info.token}` }, timeout: (seconds + 30) * 1000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`pprof: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cms = (ns: string): KubeObject[] =>
  Array.from({ length: N }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: ns },
    data: { index: String(i), payload: 'x'.repeat(200) },
  }));

const client = await KubeClient.load({ kubeconfig: kube.info.kubeconfig });
const m = new ResourceManager(client, { syncName: 'profile' });
let seq = 0;
const freshNamespace = async (): Promise<string> => {
  const ns = `p${seq++}`;
  await m.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
  return ns;
};
const steps: Record<string, () => Promise<void>> = {
  'dry-run': async () => {
    const r = await m.validate(cms(await freshNamespace()));
    if (!r.ok) throw new Error(r.failures[0]?.message);
  },
  apply: async () => {
    await m.apply(cms(await freshNamespace()));
  },
  kubectl: async () => {
    const ns = await freshNamespace();
    const dir = join(out, ns);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'a.yaml'),
      cms(ns)
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    await run(kubectl, [...kc, 'apply', '--server-side', '--field-manager=bench', '-f', dir], { maxBuffer: 1 << 26 });
  },
};

await steps.apply?.(); // warm-up: discovery, TLS session, first writes
for (const w of workloads) {
  const step = steps[w];
  if (!step) throw new Error(`unknown workload ${w}`);
  const prof = profile(SECONDS);
  let rounds = 0;
  let done = false;
  void prof.finally(() => (done = true));
  while (!done) {
    await step();
    rounds++;
  }
  const file = join(out, `${w}.pprof`);
  writeFileSync(file, await prof);
  console.log(`\n=== ${w}: ${rounds} rounds of ${N} objects in the ${SECONDS} s window; profile ${file}`);
  for (const sort of ['-flat', '-cum']) {
    const { stdout } = await run('go', ['tool', 'pprof', '-top', sort, '-nodecount=35', file], { maxBuffer: 1 << 24 });
    console.log(stdout);
  }
}
client.close();
await kube.stop();
process.exit(0);
