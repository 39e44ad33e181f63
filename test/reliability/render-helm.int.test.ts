// Canaries through the Helm render path (daemon/render/helm), on the real helm and sops: every
// outcome — success, helm failing on a template that quotes a secret, a rendered-output refusal,
// a timeout, a tampered and a wrong-key values file — and everything of it that can reach a log,
// /status or an Event (error messages and their JSON, the result's status fields and helm's
// warnings), then the scratch root, /tmp and /dev/shm. The engine is not wired to Helm yet
// (daemon/render/helm/README.md); once it is, the daemon-level canary run covers it end to end.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { helmStatus, HelmRenderError, renderHelm, scratchRoot, type HelmRenderInput } from '../../daemon/render/index.js';
import { findRenderers, findTools } from '../stack/tools.js';
import { testRepo, type TestRepo } from '../support/git-revision.js';
import { testAgeIdentities, testAgeRecipient } from '../support/test-age-key.js';
import { CanarySweep, makeCanary } from './canary.js';

const run = promisify(execFile);
const CHART = join(import.meta.dirname, '../../daemon/render/helm/testdata/webapp');
const canary = makeCanary('helm-reliability');
const sweep = new CanarySweep([canary]);
let repo: TestRepo;
let plainDir: string;
let helm: string;
let sops: string;

async function sopsEncrypt(plain: string, recipient: string): Promise<string> {
  const file = join(plainDir, `v-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, plain, { mode: 0o600 });
  return (await run(sops, ['encrypt', '--age', recipient, file], { env: { PATH: '/usr/bin:/bin' } })).stdout;
}

function input(over: Partial<HelmRenderInput> & Pick<HelmRenderInput, 'revision'>): HelmRenderInput {
  return {
    sync: 'canary',
    release: { name: 'web', namespace: 'apps' },
    chart: { git: { path: 'chart' } },
    valuesFiles: ['values/secret.enc.yaml'],
    capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] },
    keys: { ageIdentities: testAgeIdentities },
    tools: { helm, bash: '/bin/bash' },
    ...over,
  };
}

/** Every text of an outcome that may be logged or shown: message, JSON, cause chain. */
function record(where: string, outcome: unknown): void {
  if (outcome instanceof Error) {
    sweep.text(`${where}: message`, outcome.message);
    sweep.text(`${where}: JSON`, JSON.stringify(outcome));
    let cause: unknown = (outcome as { cause?: unknown }).cause;
    for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
      sweep.text(`${where}: cause ${depth}`, `${cause.message} ${JSON.stringify(cause)}`);
      cause = (cause as { cause?: unknown }).cause;
    }
    return;
  }
  const r = outcome as Awaited<ReturnType<typeof renderHelm>>;
  sweep.text(`${where}: status`, JSON.stringify(helmStatus(r)));
  sweep.text(`${where}: helm warnings`, r.warnings.join('\n'));
}

const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  );

beforeAll(async () => {
  helm = findRenderers().helm;
  sops = findTools().sops;
  plainDir = mkdtempSync(join(tmpdir(), 'helm-canary-plain-'));
  chmodSync(plainDir, 0o700);
  repo = await testRepo();
  repo.copy(CHART, 'chart');
  repo.write('values/secret.enc.yaml', await sopsEncrypt(`db:\n  password: ${canary}\n`, testAgeRecipient));
});
afterAll(() => {
  repo?.remove();
  if (plainDir) rmSync(plainDir, { recursive: true, force: true });
});

describe('Helm render: the canary stays in memory on every path', () => {
  it('success, helm error quoting the secret, output refusal, timeout, tampered, wrong key', async () => {
    const revision = await repo.commit('chart');
    const ok = await renderHelm(input({ revision }));
    // The control: the canary did reach the rendered Secret (in memory).
    const secret = ok.objects.find((o) => o.object.kind === 'Secret')?.object.data as { DB_PASSWORD: string };
    expect(Buffer.from(secret.DB_PASSWORD, 'base64').toString()).toBe(canary);
    record('success', ok);

    const failed = await outcome(renderHelm(input({ revision, values: { failRender: true } })));
    expect(failed).toBeInstanceOf(HelmRenderError);
    expect((failed as HelmRenderError).message).toContain('db password ***');
    record('helm error', failed);

    // helm passes a duplicate key through; our reader refuses it — without quoting the value.
    repo.write(
      'chart/templates/broken.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: {{ .Values.db.password | quote }}\n  a: {{ .Values.db.password | quote }}\n',
    );
    const refusedOutput = await outcome(renderHelm(input({ revision: await repo.commit('broken') })));
    expect((refusedOutput as HelmRenderError).reason).toBe('output');
    record('output refusal', refusedOutput);
    rmSync(join(repo.dir, 'chart/templates/broken.yaml'));

    const timedOut = await outcome(renderHelm(input({ revision, timeoutMs: 5 })));
    expect((timedOut as HelmRenderError).reason).toBe('timeout');
    record('timeout', timedOut);

    const good = await sopsEncrypt(`db:\n  password: ${canary}\n`, testAgeRecipient);
    repo.write(
      'values/secret.enc.yaml',
      good.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`),
    );
    const tampered = await outcome(renderHelm(input({ revision: await repo.commit('tampered') })));
    expect((tampered as HelmRenderError).reason).toBe('values');
    record('tampered', tampered);

    repo.write('values/secret.enc.yaml', await sopsEncrypt(`db:\n  password: ${canary}\n`, (await generateAgeIdentity()).recipient));
    const wrongKey = await outcome(renderHelm(input({ revision: await repo.commit('wrong key') })));
    expect((wrongKey as HelmRenderError).reason).toBe('values');
    record('wrong key', wrongKey);

    expect(sweep.hits).toEqual([]);
  });

  it('left nothing in the scratch root, /tmp (the test repo included) or /dev/shm', async () => {
    const exclude = (p: string): boolean => p.startsWith(plainDir);
    for (const root of new Set([scratchRoot(), tmpdir(), '/dev/shm'])) await sweep.dir(root, { exclude, maxFiles: 50_000 });
    expect(sweep.hits).toEqual([]);
    expect(sweep.stats.texts).toBeGreaterThanOrEqual(7);
  });
});
