// Helm render cost: our renderHelm (values via descriptors, SOPS values decrypted in memory,
// output parsed with kubectl semantics and classified) against the bare `helm template` with the
// same values as plaintext files, on a generated chart of N objects; plus a render-cache hit.
//
//   npx tsx bench/helm-render.ts [objects=1000] [runs=5]
//
// Needs the stack's cached helm (test/stack/build/helm.sh) and git. Everything lives in a 0700
// temp dir that is removed at the end.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encryptText } from '../keys/index.js';
import { RenderCache, renderHelm, type HelmRenderInput, type HelmRenderResult } from '../daemon/render/index.js';
import { findRenderers } from '../test/stack/tools.js';
import { testRepo } from '../test/support/git-revision.js';
import { testAgeIdentities, testAgeRecipient } from '../test/support/test-age-key.js';

const run = promisify(execFile);
const objects = Number(process.argv[2] ?? 1000);
const runs = Number(process.argv[3] ?? 5);
const helm = findRenderers().helm;
const work = mkdtempSync(join(tmpdir(), 'bench-helm-'));
chmodSync(work, 0o700);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

try {
  const repo = await testRepo();
  repo.write('chart/Chart.yaml', 'apiVersion: v2\nname: bulk\nversion: 1.0.0\n');
  // Half ConfigMaps, half Secrets carrying the SOPS-encrypted password.
  repo.write(
    'chart/templates/bulk.yaml',
    `{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: {{ if eq (mod $i 2) 0 }}ConfigMap{{ else }}Secret{{ end }}
metadata:
  name: bulk-{{ $i }}
  labels: {app: bulk, index: "{{ $i }}"}
{{- if eq (mod $i 2) 0 }}
data: {index: "{{ $i }}", level: {{ $.Values.level | quote }}}
{{- else }}
stringData: {password: {{ $.Values.password | quote }}}
{{- end }}
{{- end }}
`,
  );
  repo.write('values/plain.yaml', `count: ${objects}\nlevel: info\n`);
  const secret = 'password: bench-secret-value\n';
  repo.write(
    'values/secret.enc.yaml',
    await encryptText(secret, { format: 'yaml', source: 'secret.enc.yaml', keys: { age: [testAgeRecipient] } }, {}),
  );
  const revision = await repo.commit('bulk chart');
  writeFileSync(join(work, 'secret.yaml'), secret, { mode: 0o600 });

  const input: HelmRenderInput = {
    sync: 'bench',
    release: { name: 'bulk', namespace: 'bench' },
    chart: { git: { path: 'chart' } },
    valuesFiles: ['values/plain.yaml', 'values/secret.enc.yaml'],
    capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1'] },
    revision,
    keys: { ageIdentities: testAgeIdentities },
    tools: { helm, bash: '/bin/bash' },
  };
  const raw = (): Promise<unknown> =>
    run(
      helm,
      [
        'template',
        'bulk',
        join(repo.dir, 'chart'),
        '--namespace',
        'bench',
        '--kube-version',
        'v1.35.4',
        '-f',
        join(repo.dir, 'values/plain.yaml'),
        '-f',
        join(work, 'secret.yaml'),
      ],
      {
        env: { PATH: '/usr/bin:/bin', HOME: work },
        maxBuffer: 256 << 20,
      },
    );

  const first = await renderHelm(input);
  if (first.objects.length !== objects) throw new Error(`rendered ${first.objects.length} objects, want ${objects}`);
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await time(raw));
    ours.push(await time(() => renderHelm(input)));
  }
  const cache = new RenderCache<HelmRenderResult>();
  await renderHelm({ ...input, renderCache: cache });
  const hits: number[] = [];
  for (let i = 0; i < runs; i++) hits.push(await time(() => renderHelm({ ...input, renderCache: cache })));
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`helm render, ${objects} objects, median of ${runs} (load ${load}):`);
  console.log(`  helm template (values as files)        ${median(bare).toFixed(0)} ms`);
  console.log(`  renderHelm (SOPS values in memory)      ${median(ours).toFixed(0)} ms  (${(median(ours) / median(bare)).toFixed(2)}x)`);
  console.log(`  renderHelm, render-cache hit            ${median(hits).toFixed(1)} ms`);
  repo.remove();
} finally {
  rmSync(work, { recursive: true, force: true });
}
