// Secrets never leave memory on the render paths (issue 15 items 2, 3, 8), end to end. A
// Flux-style repo (test/support/flux-repo.ts) seals unique canaries into every entry point — an
// encrypted Secret resource in a kustomize base, a secretGenerator env file and file, a Helm
// values file — and the daemon runs as a real child process (debug logs) through: both syncs
// applied; a MAC-only tamper at each entry point (every value still decrypts, so the plaintext is
// in memory when the revision is refused); a wrong-key revision; helm failing on a template that
// quotes the decrypted value; kustomize and helm timeouts; `gitops-seal build` and `diff` on both
// syncs. Then everything is swept for every canary (raw, hex, base64 std/url at 3 alignments):
// /status, /metrics, Events, the daemon's output, CLI output, refusal messages, the data and
// working dirs, the work clone, every new entry of /tmp and /dev/shm, and every git object.
// Positive controls: the applied Secrets hold their canaries, and a planted file is found.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { scratchRoot } from '../../daemon/render/index.js';
import { eventually, getJson, kubectl, WorkRepo } from '../e2e/harness.js';
import { tempEntries } from '../interop/helpers.js';
import { findTools } from '../stack/tools.js';
import { runCaptured } from '../support/cli-capture.js';
import {
  dbSecret,
  fluxRepo,
  HELM_SECRET_VALUES,
  HELM_VALUES,
  helmSecretValues,
  sopsEncrypt,
  tamperMac,
  type FluxRepo,
} from '../support/flux-repo.js';
import { RenderDaemon } from '../support/render-daemon.js';
import { canaryForms, CanarySweep, findGitStores, makeCanary } from './canary.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const NS = { staging: `rc-staging-${sfx}`, production: `rc-production-${sfx}`, helm: `rc-helm-${sfx}` };
const K = `rc-kustomize-${sfx}`;
const H = `rc-helm-${sfx}`;
const KT = `rc-kustomize-timeout-${sfx}`;
const HT = `rc-helm-timeout-${sfx}`;
const RESOURCE = 'apps/base/db-secret.enc.yaml';
const ENV = 'apps/staging/api.enc.env';
const FILE = 'apps/staging/tls.enc.key';

const C = {
  db: makeCanary('rc-db'),
  api: makeCanary('rc-api'),
  tls: makeCanary('rc-tls'),
  helm: makeCanary('rc-helm'),
  prodApi: makeCanary('rc-prod-unused'),
  macResource: makeCanary('rc-mac-resource'),
  macEnv: makeCanary('rc-mac-env'),
  macFile: makeCanary('rc-mac-file'),
  macHelm: makeCanary('rc-mac-helm'),
  wrongKey: makeCanary('rc-wrong-key'),
};
const APPLIED = [C.db, C.api, C.tls, C.helm];
const ALL = Object.values(C);

let repo: WorkRepo;
let fx: FluxRepo;
let d: RenderDaemon;
let sops: string;
let recipient: string;
let tempsBefore: Map<string, number>;
let plant: string | undefined;
const texts: [string, string][] = [];
const midSweep = new CanarySweep(ALL);

/** The plaintext of an entry point's file carrying `value`, in that file's format. */
function plaintextWith(path: string, value: string): string {
  if (path === RESOURCE) return dbSecret(value);
  if (path === ENV) return `API_TOKEN=${value}\nAPI_USER=svc-staging\n`;
  if (path === FILE) return `-----BEGIN PRIVATE KEY-----\n${value}\n-----END PRIVATE KEY-----\n`;
  return helmSecretValues(value);
}
const seal = (path: string, value: string, to = recipient): Promise<string> =>
  sopsEncrypt(sops, to, path, plaintextWith(path, value), fx.encrypted[path] ?? 'yaml');

async function commitAndPoke(files: Record<string, string | null>, message: string): Promise<string> {
  const sha = await repo.commit(files, message);
  await d.poke();
  return sha;
}

/** Waits for `sync` to refuse `sha`, keeps its message for the sweep, returns it. */
async function refusal(sync: string, sha: string, label: string): Promise<string> {
  const st = await d.refused(sync, sha);
  const message = `${st.lastError?.stage}: ${st.lastError?.message}`;
  texts.push([`lastError ${sync} ${label}`, message]);
  return message;
}

/**
 * While the daemon runs: none of its render scratch dirs outlives its render (polled — another
 * sync's render may be in flight), and nothing under the scratch root or its data dir holds a
 * canary right after an error path (the end-of-run sweep would miss what is removed later).
 */
async function midRunCheck(when: string): Promise<void> {
  const mine = (): string[] => readdirSync(scratchRoot()).filter((n) => n.startsWith(`gitops-seal-render-${d.child.pid}-`));
  await eventually(`no scratch dir of the daemon left after ${when}`, async () => mine().length === 0, 10_000);
  const skip = (p: string): boolean => p.startsWith(dirname(stack.git.reposDir));
  await midSweep.dir(scratchRoot(), { exclude: skip, maxFiles: 20_000, maxFileBytes: 16 << 20 });
  await midSweep.dir(d.dataDir);
  expect(midSweep.describe(), when).toEqual([]);
}

const restore = (): Record<string, string> =>
  Object.fromEntries([RESOURCE, ENV, FILE, HELM_SECRET_VALUES, HELM_VALUES].map((p) => [p, fx.files[p] as string]));

beforeAll(async () => {
  tempsBefore = await tempEntries();
  sops = findTools().sops;
  const id = await generateAgeIdentity();
  recipient = id.recipient;
  fx = await fluxRepo({
    sops,
    recipient,
    namespaces: { staging: NS.staging, production: NS.production },
    canaries: { db: C.db, api: C.api, tls: C.tls, prodApi: C.prodApi, helm: C.helm },
  });
  await kubectl(stack, ['create', 'namespace', NS.helm]);
  repo = await WorkRepo.create(stack, `rel-canary-render-${sfx}`);
  const head = await repo.commit(fx.files, 'flux-style repo');
  const idFile = join(repo.dir, '..', `rc-${sfx}.agekey`);
  writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
  const common = {
    source: 'repo',
    kubeconfig: { file: stack.kube.kubeconfig },
    decryption: { age: { identitiesFrom: [{ file: idFile }] } },
  };
  const helm = {
    chart: { git: { path: 'charts/webapp' } },
    release: { name: 'webapp', namespace: NS.helm },
    valuesFiles: [HELM_VALUES, HELM_SECRET_VALUES],
  };
  d = await RenderDaemon.start(stack, {
    name: `rc-${sfx}`,
    repoUrl: repo.url,
    syncs: [
      { name: K, path: 'clusters/staging', ...common },
      { name: H, targetNamespace: NS.helm, allowedNamespaces: [NS.helm], helm, ...common },
      { name: KT, path: 'apps/staging', render: { timeout: '1ms' }, ...common },
      { name: HT, targetNamespace: NS.helm, allowedNamespaces: [NS.helm], helm, render: { timeout: '1ms' }, ...common },
    ],
  });
  await d.applied(K, head);
  await d.applied(H, head);
}, 240_000);

afterAll(async () => {
  await d?.teardown(stack, Object.values(NS));
  repo?.remove();
  if (plant) rmSync(plant, { recursive: true, force: true });
});

describe('secrets never leave memory on the render paths (daemon child, CLI, sweep)', () => {
  it('applies the kustomize and helm Secrets with their plaintext (the one place a canary may be)', async () => {
    const inCluster = new CanarySweep(ALL);
    inCluster.text('secrets', await kubectl(stack, ['get', 'secrets', '-n', NS.staging, '-o', 'json']));
    inCluster.text('helm secret', await kubectl(stack, ['get', 'secret', 'webapp-db', '-n', NS.helm, '-o', 'json']));
    expect(new Set(inCluster.hits.map((h) => h.canary))).toEqual(new Set(APPLIED));
  });

  it('the render timeouts refuse both renderers cleanly', async () => {
    const head = await repo.head();
    for (const s of [KT, HT]) expect(await refusal(s, head, 'timeout')).toMatch(/time(d)? ?out|timeout/i);
    await midRunCheck('timeouts');
  });

  it('a MAC-only tamper at each entry point refuses the revision, with the plaintext already decrypted in memory', async () => {
    const good = { k: (await d.sync(K))?.appliedRevision, h: (await d.sync(H))?.appliedRevision };
    const cases: [string, string, string][] = [
      [RESOURCE, C.macResource, K],
      [ENV, C.macEnv, K],
      [FILE, C.macFile, K],
      [HELM_SECRET_VALUES, C.macHelm, H],
    ];
    for (const [path, canary, sync] of cases) {
      const sha = await commitAndPoke({ ...restore(), [path]: tamperMac(await seal(path, canary)) }, `mac ${path}`);
      const message = await refusal(sync, sha, `mac ${path}`);
      expect(message).toContain(path);
      expect(message).toMatch(/^decrypt: /);
      await midRunCheck(`MAC tamper of ${path}`);
    }
    const back = await commitAndPoke(restore(), 'restore');
    await d.applied(K, back);
    await d.applied(H, back);
    expect(good.k).not.toBe(back);
    expect(good.h?.startsWith(back)).toBe(false);
  });

  it('a wrong-key revision at every entry point and a helm error quoting the value are refused without the value', async () => {
    const other = (await generateAgeIdentity()).recipient;
    const wrong: Record<string, string> = {};
    for (const p of [RESOURCE, ENV, FILE, HELM_SECRET_VALUES]) wrong[p] = await seal(p, C.wrongKey, other);
    const sha = await commitAndPoke(wrong, 'wrong key');
    expect(await refusal(K, sha, 'wrong key')).toMatch(/^decrypt: /);
    expect(await refusal(H, sha, 'wrong key')).toMatch(/^decrypt: .*webapp-secrets\.sops\.yaml/s);

    const failing = await commitAndPoke({ ...restore(), [HELM_VALUES]: `${fx.files[HELM_VALUES]}failRender: true\n` }, 'helm fails');
    const message = await refusal(H, failing, 'helm error');
    expect(message).toMatch(/db password/);
    await midRunCheck('wrong key and helm error');
    await d.applied(K, failing);
    const back = await commitAndPoke(restore(), 'restore');
    await d.applied(H, back);
  });

  it('gitops-seal build and diff render both syncs as the daemon does, values redacted', async () => {
    const configFile = d.configFile;
    for (const s of [K, H]) {
      for (const args of [
        ['build', '-c', configFile, '-s', s],
        ['build', '-c', configFile, '-s', s, '-o', 'json'],
        ['diff', '-c', configFile, '-s', s],
        ['diff', '-c', configFile, '-s', s, '-o', 'json'],
      ]) {
        const r = await runCaptured(args, { env: d.env, cwd: d.workDir, confirm: undefined });
        texts.push([`cli ${args.join(' ')} (stdout)`, r.out], [`cli ${args.join(' ')} (stderr)`, r.err]);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
        if (args[0] === 'build') expect(r.out).toMatch(s === K ? /staging-api-creds-[a-z0-9]{10}/ : /webapp-db/);
        if (args[0] === 'diff' && args.length === 5) expect(r.err).toMatch(/0 to create, 0 to change, 0 to prune/);
      }
    }
  });

  it('no canary anywhere but the Secret objects (sweep with positive controls)', async () => {
    plant = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-render-plant-'));
    const planted = plant;
    writeFileSync(join(planted, 'planted'), deflateSync(Buffer.from(`xy${C.macHelm}`).toString('base64')));
    const control = new CanarySweep(ALL);
    await control.dir(planted);
    expect(control.describe()).toEqual([`b64@2 of ${C.macHelm} in ${join(planted, 'planted')} (inflated)`]);

    texts.push(['GET /status', await (await fetch(`${d.url}/status`)).text()]);
    texts.push(['GET /metrics', await (await fetch(`${d.url}/metrics`)).text()]);
    texts.push(['kubectl get events -A', await kubectl(stack, ['get', 'events', '-A', '-o', 'json'])]);
    const pid = d.child.pid;
    await d.stop();
    const output = d.child.output();
    texts.push([`daemon output (${d.child.logFile})`, output]);
    const refusedLines = d.child.logLines().filter((l) => l.msg === 'revision refused; last good revision stays applied');
    expect(refusedLines.length).toBeGreaterThanOrEqual(7);
    const sweep = new CanarySweep(ALL);
    for (const [where, t] of texts) sweep.text(where, t);

    // No render scratch dir of the daemon is left, and nothing under the scratch root holds a canary.
    expect(readdirSync(scratchRoot()).filter((n) => n.startsWith(`gitops-seal-render-${pid}-`))).toEqual([]);
    await sweep.dir(d.workDir);
    await sweep.dir(repo.dir);
    const skip = (p: string): boolean =>
      p === planted || p.startsWith(`${planted}/`) || p.startsWith(stack.logDir) || /\/go-build|\/gopath|\/stack($|\/)/.test(p);
    for (const [p, mtime] of await tempEntries()) {
      if (tempsBefore.get(p) === mtime || p === d.workDir || p === repo.dir || skip(p)) continue;
      await sweep.dir(p, { exclude: skip, maxFileBytes: 16 << 20, maxFiles: 5000 });
    }
    const stores = [...(await findGitStores(d.dataDir)), join(repo.dir, '.git'), join(stack.git.reposDir, `rel-canary-render-${sfx}.git`)];
    expect(stores.length).toBeGreaterThanOrEqual(3);
    for (const s of stores) expect(await sweep.gitObjects(s)).toBeGreaterThan(0);

    const st = sweep.stats;
    console.log(
      `[figure] render canary sweep: ${ALL.length} canaries, ${ALL.flatMap(canaryForms).length} needles; ${st.texts} texts, ` +
        `${st.files} files, ${st.objects} git objects in ${st.stores} stores, ${(st.bytes / 1024 / 1024).toFixed(1)} MiB; ` +
        `${sweep.hits.length} hits; skipped ${sweep.skipped.length}`,
    );
    expect(sweep.describe()).toEqual([]);
    expect(st.texts).toBeGreaterThan(20);
    expect(st.files).toBeGreaterThan(10);
    // Still in the cluster, where it belongs: the sweep above did not miss it by looking elsewhere.
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'webapp-db', '-n', NS.helm]);
    expect(Buffer.from(secret?.data.DB_PASSWORD ?? '', 'base64').toString()).toBe(C.helm);
  });
});
