// The cluster-held identity never leaves the Secret (issue 16). A daemon (real child process,
// debug logs) creates the key, applies a Secret sealed to it, refuses a sync that may not use it,
// rotates it twice on a short rotateEvery, and republishes after an out-of-band restore (what
// `gitops-seal cluster-key restore --merge` does). Then every identity the Secret holds at the
// end — and a plaintext canary — is searched (raw, hex, base64 std/url at 3 alignments) in the
// daemon's output, /status, /keys, /metrics, every Event of the cluster, the daemon's data and
// config dirs, its git stores and every temp entry made since the test began. The Secret in the
// cluster is the positive control: the sweep finds every identity there.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterKeyStore, newClusterIdentity } from '../../daemon/cluster-key/index.js';
import { KubeClient } from '../../daemon/kube/client.js';
import { encryptText, generateAgeIdentity, publicFromConfigMapData } from '../../keys/index.js';
import { eventually, kubectl, WorkRepo } from '../e2e/harness.js';
import { tempEntries } from '../interop/helpers.js';
import { freePort } from '../stack/procs.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';
import { canaryForms, CanarySweep, findGitStores, makeCanary } from './canary.js';

const stack = inject('stack');

describe('the cluster identity never leaves its Secret (daemon child process, sweep)', () => {
  const sfx = Date.now().toString(36);
  const home = `rel-ck-home-${sfx}`;
  const app = `rel-ck-app-${sfx}`;
  const VALUE = makeCanary('cluster-sealed');
  let admin: KubeClient;
  let store: ClusterKeyStore;
  let repo: WorkRepo;
  let child: DaemonProcess;
  let url: string;
  let work: string;
  let dataDir: string;
  let tempsBefore: Map<string, number>;

  const published = async () => {
    const cm = await admin.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${home}/configmaps/gitops-seal-cluster-key`);
    return cm?.data ? publicFromConfigMapData(cm.data, 'ConfigMap') : undefined;
  };
  const secretYaml = (name: string, value: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${app}\n  annotations:\n    gitops-seal.dev/scope: "${app}/${name}"\ntype: Opaque\nstringData:\n  password: ${value}\n`;
  const seal = (text: string, recipient: string, source: string) =>
    encryptText(
      text,
      { format: 'yaml', source, keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData|gitops-seal.dev/scope)$' } },
      {},
    );

  beforeAll(async () => {
    tempsBefore = await tempEntries();
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-ck-'));
    dataDir = join(work, 'data');
    admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
    for (const ns of [home, app])
      await admin.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    store = new ClusterKeyStore(admin, home);
    repo = await WorkRepo.create(stack, `rel-ck-${sfx}`);
    await repo.commit({ 'apps/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ${app}\ndata: {a: b}\n` });
    const other = await generateAgeIdentity();
    const otherFile = join(work, 'other.key');
    writeFileSync(otherFile, other.file, { mode: 0o600 });
    const configFile = join(work, 'daemon.yaml');
    const kubeconfig = { file: stack.kube.kubeconfig };
    writeFileSync(
      configFile,
      stringify({
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        spec: {
          sources: [
            {
              name: 'repo',
              url: repo.url,
              ref: { branch: 'main' },
              interval: '1s',
              credentials: { usernameFrom: { env: 'REL_GIT_USER' }, passwordFrom: { env: 'REL_GIT_PASSWORD' } },
            },
          ],
          syncs: [
            { name: `rel-ck-${sfx}`, source: 'repo', path: 'apps', interval: '1h', kubeconfig, decryption: { clusterKey: true } },
            {
              name: `rel-ck-no-${sfx}`,
              source: 'repo',
              path: 'other',
              interval: '1h',
              kubeconfig,
              decryption: { age: { identitiesFrom: [{ file: otherFile }] } },
            },
          ],
          clusterKey: { enabled: true, rotateEvery: '5s', checkInterval: '500ms' },
        },
      }),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = await startDaemonProcess({
      name: `rel-ck-${sfx}`,
      args: ['--config', configFile, '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--leader-election-namespace', home],
      env: {
        ...process.env,
        KUBECONFIG: stack.kube.kubeconfig,
        LOG_LEVEL: 'debug',
        REL_GIT_USER: stack.git.username,
        REL_GIT_PASSWORD: stack.git.password,
      },
      ready: { url, path: '/healthz' },
    });
  });

  afterAll(async () => {
    await child?.stop(10_000);
    for (const ns of [home, app]) await admin?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
    admin?.close();
    repo?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('creates, uses, rotates and republishes the key', async () => {
    const first = await eventually('the key published', published, 60_000, 100);
    await repo.commit({
      'apps/secret.yaml': await seal(secretYaml('sealed', VALUE), first.recipient, 'apps/secret.yaml'),
      // A sync that may not use the cluster key: refused, and the refusal names only the recipient.
      'other/secret.yaml': await seal(secretYaml('refused', VALUE), first.recipient, 'other/secret.yaml'),
    });
    await eventually('applied', async () => (await admin.getOptional(`/api/v1/namespaces/${app}/secrets/sealed`)) !== undefined, 60_000);
    await eventually('rotated twice', async () => ((await store.read())?.identities.length ?? 0) >= 3, 60_000, 250);
    // The CLI's restore path: an identity from a backup merged in, republished by the daemon.
    const restored = await newClusterIdentity(new Date(Date.now() + 3_600_000));
    await store.restore([restored], { merge: true });
    await eventually('restored key published', async () => (await published())?.recipient === restored.recipient, 10_000, 100);
    expect((await (await fetch(`${url}/keys`)).json()) as { recipient: string }).toMatchObject({ recipient: restored.recipient });
  });

  it('no identity (and no plaintext) anywhere but the Secrets in the cluster', async () => {
    const identities = (await store.read())?.identities.map((k) => k.identity) ?? [];
    expect(identities.length).toBeGreaterThanOrEqual(4);
    const ALL = [...identities, VALUE];
    // Positive control: the sweep finds every identity in the cluster's Secret (base64 of the file).
    const control = new CanarySweep(identities);
    control.text('the Secret', await kubectl(stack, ['get', 'secret', 'gitops-seal-cluster-key', '-n', home, '-o', 'json']));
    expect(new Set(control.hits.map((h) => h.canary))).toEqual(new Set(identities));

    const sweep = new CanarySweep(ALL);
    for (const path of ['/status', '/keys', '/metrics']) sweep.text(`GET ${path}`, await (await fetch(`${url}${path}`)).text());
    sweep.text('kubectl get events -A', await kubectl(stack, ['get', 'events', '-A', '-o', 'json']));
    sweep.text(
      `ConfigMap ${home}/gitops-seal-cluster-key`,
      await kubectl(stack, ['get', 'configmap', 'gitops-seal-cluster-key', '-n', home, '-o', 'json']),
    );
    await child.stop(10_000);
    const out = child.output();
    // The logs are real and at debug level, and they tell the story (without a key).
    for (const msg of ['cluster key created', 'cluster key rotated; retired keys keep decrypting', 'cluster key published'])
      expect(out, msg).toContain(`"msg":"${msg}"`);
    sweep.text(`daemon output (${child.logFile})`, out);
    await sweep.dir(work);
    await sweep.dir(repo.dir);
    const skipTemp = (p: string): boolean => p.startsWith(stack.logDir) || /\/go-build|\/gopath|\/stack($|\/)/.test(p);
    for (const [p, mtime] of await tempEntries()) {
      if (tempsBefore.get(p) === mtime || p === work || p === repo.dir || skipTemp(p)) continue;
      await sweep.dir(p, { exclude: skipTemp, maxFileBytes: 16 << 20, maxFiles: 5000 });
    }
    const stores = [...(await findGitStores(dataDir)), join(repo.dir, '.git')];
    for (const s of stores) await sweep.gitObjects(s);
    const st = sweep.stats;
    console.log(
      `[figure] cluster-key canary sweep: ${identities.length} identities + 1 value, ${ALL.flatMap(canaryForms).length} needles; ` +
        `${st.texts} texts, ${st.files} files, ${st.objects} git objects, ${(st.bytes / 1024 / 1024).toFixed(1)} MiB; ${sweep.hits.length} hits`,
    );
    expect(sweep.describe()).toEqual([]);
    expect(st.files).toBeGreaterThan(3);
  });
});
