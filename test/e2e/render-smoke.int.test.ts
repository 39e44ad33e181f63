// The daemon end to end with rendered syncs: git server → daemon (renderers resolved at start,
// per-sync render caches) → kube-apiserver. A Kustomize overlay with an encrypted Secret in its
// base and a Helm chart in Git with a SOPS values file apply; /status shows the chart and the
// revision identity commit+chart; a commit that breaks the chart is refused at render with the
// last good state kept. A chart from an HTTP repository (helm repo index, static file server)
// at a version range: a new matching version is applied on the next poll of the unchanged
// commit — the revision identity is commit + chart. Fixtures: daemon/engine/testdata.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeCanary } from '../reliability/canary.js';
import { findRenderers } from '../stack/tools.js';
import { startStaticServer, type StaticServer } from '../support/static-server.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';

const stack = inject('stack');
const TESTDATA = fileURLToPath(new URL('../../daemon/engine/testdata', import.meta.url));
const RUN = Date.now().toString(36);
const NS_K = `e2e-kust-${RUN}`;
const NS_H = `e2e-helm-${RUN}`;
const CANARY_K = makeCanary('e2e-render-kustomize');
const CANARY_H = makeCanary('e2e-render-helm');

/** Every file under testdata/<dir>, as repo path → text. */
function tree(dir: string): Record<string, string> {
  const root = join(TESTDATA, dir);
  const out: Record<string, string> = {};
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    out[relative(root, abs)] = readFileSync(abs, 'utf8');
  }
  return out;
}

describe('daemon: rendered syncs (kustomize, helm) → cluster', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let first: string;
  let charts: StaticServer;
  let chartDir: string;
  const helmBin = findRenderers().helm;
  const helmRun = async (args: string[]): Promise<void> => {
    await promisify(execFile)(helmBin, args, { env: { PATH: '/usr/bin:/bin', HOME: chartDir } });
  };
  /** `helm package` the fixture chart at `version` into the served dir, and index it. */
  const publish = async (version: string): Promise<void> => {
    await helmRun(['package', join(TESTDATA, 'helm/charts/hello'), '--version', version, '--destination', join(chartDir, 'repo')]);
    await helmRun(['repo', 'index', join(chartDir, 'repo')]);
  };

  beforeAll(async () => {
    setGitEnv(stack);
    chartDir = mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-charts-'));
    await publish('0.1.0');
    charts = await startStaticServer(join(chartDir, 'repo'));
    for (const ns of [NS_K, NS_H]) await kubectl(stack, ['create', 'namespace', ns]);
    repo = await WorkRepo.create(stack, `e2e-render-${RUN}`);
    const id = await generateAgeIdentity();
    const idFile = join(mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-keys-')), 'keys.txt');
    writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
    const enc = (text: string, path: string, regex?: string): Promise<string> =>
      encryptText(
        text,
        { format: 'yaml', source: path, keys: { age: [id.recipient] }, ...(regex ? { rule: { encryptedRegex: regex } } : {}) },
        {},
      );
    first = await repo.commit(
      {
        ...tree('kustomize'),
        'apps/base/secret.sops.yaml': await enc(
          `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${CANARY_K}\n`,
          'apps/base/secret.sops.yaml',
          '^(data|stringData)$',
        ),
        ...tree('helm'),
        'clusters/staging/secrets.sops.yaml': await enc(`db:\n  password: ${CANARY_H}\n`, 'clusters/staging/secrets.sops.yaml'),
      },
      'kustomize overlay and helm chart',
    );
    const common = {
      source: 'repo',
      kubeconfig: { file: stack.kube.kubeconfig },
      decryption: { age: { identitiesFrom: [{ file: idFile }] } },
    };
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [
          { name: `k-${RUN}`, path: 'apps/staging', targetNamespace: NS_K, ...common },
          {
            name: `h-${RUN}`,
            allowedNamespaces: [NS_H],
            targetNamespace: NS_H,
            helm: {
              chart: { git: { path: 'charts/hello' } },
              release: { name: 'hello' },
              valuesFiles: ['clusters/staging/values.yaml', 'clusters/staging/secrets.sops.yaml'],
            },
            ...common,
          },
          {
            name: `r-${RUN}`,
            allowedNamespaces: [NS_H],
            helm: {
              chart: { repository: { url: charts.url, chart: 'hello', version: '0.x' } },
              release: { name: 'remote', namespace: NS_H },
              valuesFiles: ['clusters/staging/secrets.sops.yaml'],
            },
            ...common,
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    await charts?.close();
    repo?.remove();
    for (const ns of [NS_K, NS_H]) await kubectl(stack, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  });

  const row = (name: string) => d.daemon.status.snapshot().syncs.find((s) => s.name === name);

  it('applies both, Secrets decrypted in memory; /status shows the chart and the identity commit+chart', async () => {
    await eventually('kustomize sync applied', async () => row(`k-${RUN}`)?.appliedRevision === first);
    const k = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'staging-db', '-n', NS_K]);
    expect(Buffer.from(k?.data.password ?? '', 'base64').toString()).toBe(CANARY_K);
    expect(await getJson(stack, ['configmap', 'staging-cfg', '-n', NS_K])).toBeDefined();

    await eventually('helm sync applied', async () => row(`h-${RUN}`)?.appliedRevision?.startsWith(`${first}+`) === true);
    const h = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'hello-db', '-n', NS_H]);
    expect(Buffer.from(h?.data.password ?? '', 'base64').toString()).toBe(CANARY_H);
    const status = row(`h-${RUN}`);
    expect(status?.helm).toMatchObject({ chart: 'hello', version: '0.1.0', source: 'git:charts/hello', hooks: { pre: 1, post: 0 } });
    expect(status?.helm?.skippedHooks).toEqual([expect.objectContaining({ kind: 'Pod', name: 'hello-smoke', events: ['test'] })]);
    expect(JSON.stringify(d.daemon.status.snapshot())).not.toMatch(new RegExp(`${CANARY_K}|${CANARY_H}`));
  });

  it('a commit that breaks the chart is refused at render; the last good state stays applied', async () => {
    const bad = await repo.commit({ 'charts/hello/templates/broken.yaml': '{{ fail "broken on purpose" }}\n' }, 'break the chart');
    await d.daemon.sources.get('repo')?.trigger();
    await eventually('helm sync refused', async () => row(`h-${RUN}`)?.lastError?.revision === bad);
    const status = row(`h-${RUN}`);
    expect(status?.lastError?.stage).toBe('render');
    expect(status?.lastError?.message).toContain('charts/hello/templates/broken.yaml');
    expect(status?.appliedRevision?.startsWith(`${first}+`)).toBe(true);
    expect(await getJson(stack, ['secret', 'hello-db', '-n', NS_H])).toBeDefined();
    // The Kustomize sync's tree did not change: applied again, same objects.
    await eventually('kustomize sync at the new commit', async () => row(`k-${RUN}`)?.appliedRevision === bad);
  });

  it('a chart repository publishing a new version in range: applied on the next poll of the same commit', async () => {
    const name = `r-${RUN}`;
    const head = await repo.head();
    await eventually(
      'remote chart applied at the head',
      async () => row(name)?.helm?.version === '0.1.0' && row(name)?.appliedRevision?.startsWith(`${head}+`) === true,
    );
    const before = row(name)?.appliedRevision ?? '';
    const commit = before.split('+')[0] ?? '';
    const started: string[] = [];
    const stop = d.daemon.bus.on({ 'sync.started': (e) => void (e.sync === name && started.push(e.revision)) });
    // Same commit, same chart: the poll resolves the chart again and applies nothing.
    await d.daemon.sources.get('repo')?.trigger();
    expect(started).toEqual([]);
    await publish('0.2.0');
    await d.daemon.sources.get('repo')?.trigger();
    await eventually('new chart version applied', async () => row(name)?.helm?.version === '0.2.0');
    const after = row(name)?.appliedRevision ?? '';
    expect(after.startsWith(`${commit}+`)).toBe(true);
    expect(after).not.toBe(before);
    expect(started).toEqual([commit]);
    stop();
  });
});
