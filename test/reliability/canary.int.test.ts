// Secrets never leave memory, end to end. Unique canary plaintexts are sealed into Secrets
// (age and Vault transit), the daemon runs as a real child process (its real stdout/stderr, at
// debug level) through apply, a drift revert of the Secret, a tampered revision, a wrong-key
// revision; `gitops-seal build` and `diff` run on the same repo and config. Then everything the
// run produced is swept for every canary (raw, hex, base64 std/url at 3 alignments): process
// output, /status, /metrics, Kubernetes Events, CLI output, every file of the data dir, the
// work clone and the new temp entries, and every object of every git store involved (loose and
// packed). The only place a canary may appear is the Secret in the cluster — and the sweep is
// shown to find it there, and in a planted scratch file, so "0 hits" means something.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signBody } from '../../daemon/webhook/verify.js';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { eventually, getJson, kubectl, WorkRepo } from '../e2e/harness.js';
import { tempEntries } from '../interop/helpers.js';
import { pushImage } from '../stack/image-push.js';
import { runCaptured } from '../support/cli-capture.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';
import { freePort } from '../stack/procs.js';
import { canaryForms, CanarySweep, findGitStores, makeCanary } from './canary.js';
import {
  canaryDaemonConfig,
  canaryEnv,
  deploymentYaml,
  flipLastModified,
  readStream,
  refusedAt,
  RULE,
  secretYaml,
  type SyncStatus,
} from './canary-fixture.js';

const stack = inject('stack');

const sfx = randomBytes(3).toString('hex');
const NS_AGE = `rel-canary-age-${sfx}`;
const NS_VAULT = `rel-canary-vault-${sfx}`;
const SYNC_AGE = `rel-canary-age-${sfx}`;
const SYNC_VAULT = `rel-canary-vault-${sfx}`;
const HOOK_SECRET = randomBytes(16).toString('hex');

/** Canaries that end up in the cluster (applied) and those that must never surface anywhere. */
const C = {
  age: makeCanary('age'),
  /** Inside a larger binary value: base64 in the Secret at byte offset 1. */
  ageEmbedded: makeCanary('age-embedded'),
  vault: makeCanary('vault'),
  tampered: makeCanary('tampered'),
  tamperedVault: makeCanary('tampered-vault'),
  wrongKey: makeCanary('wrong-key'),
  drift: makeCanary('drift'),
  /** 15 random digits (below 2^53): a sealed value that decrypts to a YAML int. */
  numeric: String(10n ** 14n + (BigInt(`0x${randomBytes(8).toString('hex')}`) % (9n * 10n ** 14n))),
};
const APPLIED = [C.age, C.ageEmbedded, C.vault];
const ALL = Object.values(C);

const IMAGE = `${stack.registry.token.host}/rel/canary-${sfx}`;
const IMAGE_REPO = IMAGE.slice(IMAGE.indexOf('/') + 1);

describe('secrets never leave memory (daemon as a child process, CLI, sweep)', () => {
  let repo: WorkRepo;
  let child: DaemonProcess;
  let url: string;
  let dataDir: string;
  let work: string;
  let configFile: string;
  let tempsBefore: Map<string, number>;
  let ageRecipient: string;
  let scratch: string | undefined;
  const texts: [string, string][] = [];
  /** The web page's live stream (daemon/ui), read from the daemon's start to the sweep. */
  let pageStream: { text: string; stop: () => void } | undefined;
  const env = (): NodeJS.ProcessEnv => canaryEnv(stack, HOOK_SECRET);
  const status = async (): Promise<{ syncs: SyncStatus[]; sources: { fetches: number }[] }> =>
    (await (await fetch(`${url}/status`)).json()) as { syncs: SyncStatus[]; sources: { fetches: number }[] };
  const sync = async (name: string): Promise<SyncStatus | undefined> => (await status()).syncs.find((s) => s.name === name);
  /** A signed generic webhook: the daemon fetches now. */
  const poke = async (): Promise<void> => {
    const body = Buffer.from('{}');
    const r = await fetch(`${url}/hooks/repo`, { method: 'POST', body, headers: { 'x-signature': signBody(HOOK_SECRET, body) } });
    expect(r.status).toBe(202);
  };
  const cli = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const { code, out, err } = await runCaptured(args, { env: env(), cwd: work, confirm: undefined });
    texts.push([`cli ${args.join(' ')} (stdout)`, out], [`cli ${args.join(' ')} (stderr)`, err]);
    return { code, out, err };
  };

  beforeAll(async () => {
    tempsBefore = await tempEntries();
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-canary-'));
    dataDir = join(work, 'data');
    repo = await WorkRepo.create(stack, `rel-canary-${sfx}`);
    const id = await generateAgeIdentity();
    const idFile = join(work, 'age.key');
    writeFileSync(idFile, id.file, { mode: 0o600 });
    ageRecipient = id.recipient;
    const blob = Buffer.concat([randomBytes(1), Buffer.from(C.ageEmbedded), randomBytes(2)]).toString('base64');
    const ageSecret = await encryptText(
      secretYaml('db', NS_AGE, `stringData:\n  password: ${C.age}\ndata:\n  blob: ${blob}\n`),
      { format: 'yaml', source: 'apps/secret.yaml', keys: { age: [id.recipient] }, rule: RULE },
      {},
    );
    const vaultSecret = await encryptText(
      secretYaml('api', NS_VAULT, `stringData:\n  token: ${C.vault}\n`),
      { format: 'yaml', source: 'vault/secret.yaml', keys: { hcVaultTransit: [stack.vault.transitUri] }, rule: RULE },
      { vault: { token: stack.vault.rootToken } },
    );
    await repo.commit({
      'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS_AGE}\n`,
      'apps/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: ${NS_AGE}\ndata: {mode: blue}\n`,
      'apps/secret.yaml': ageSecret,
      'apps/web.yaml': deploymentYaml(NS_AGE, IMAGE, '1.0.0'),
      'vault/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS_VAULT}\n`,
      'vault/secret.yaml': vaultSecret,
    });
    // Image automation: only 1.0.0 exists now, so no write-back races the commits below.
    await pushImage(stack.registry.token, IMAGE_REPO, '1.0.0');
    const port = await freePort();
    configFile = join(work, 'daemon.yaml');
    const kubeconfig = { file: stack.kube.kubeconfig };
    writeFileSync(
      configFile,
      stringify(canaryDaemonConfig({ stack, repoUrl: repo.url, idFile, syncAge: SYNC_AGE, syncVault: SYNC_VAULT, image: IMAGE })),
    );
    url = `http://127.0.0.1:${port}`;
    child = await startDaemonProcess({
      name: `canary-daemon-${sfx}`,
      args: ['--config', configFile, '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir],
      env: env(),
    });
    const head = await repo.head();
    await eventually(
      'both syncs applied by the child daemon',
      async () => {
        if (!child.alive()) throw new Error(`daemon exited ${child.proc.child.exitCode}: ${child.tail(30)}`);
        const st = await status();
        return st.syncs.length === 2 && st.syncs.every((s) => s.appliedRevision === head);
      },
      60_000,
      300,
    );
    pageStream = await readStream(`${url}/ui/events?sync=${SYNC_AGE}`);
  });

  afterAll(async () => {
    if (child) await child.stop(10_000);
    for (const ns of [NS_AGE, NS_VAULT]) await kubectl(stack, ['delete', 'namespace', ns, '--wait=false']).catch(() => '');
    for (const s of [SYNC_AGE, SYNC_VAULT])
      await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${s}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
        () => '',
      );
    repo?.remove();
    for (const d of [work, scratch]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('applies both Secrets with the plaintext (the one place a canary may be)', async () => {
    const age = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', NS_AGE]);
    expect(Buffer.from(age?.data.password ?? '', 'base64').toString()).toBe(C.age);
    expect(Buffer.from(age?.data.blob ?? '', 'base64').includes(Buffer.from(C.ageEmbedded))).toBe(true);
    const vault = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'api', '-n', NS_VAULT]);
    expect(Buffer.from(vault?.data.token ?? '', 'base64').toString()).toBe(C.vault);
  });

  it('reverts a kubectl patch of the Secret data', async () => {
    const drifted = Buffer.from(C.drift).toString('base64');
    await kubectl(stack, ['patch', 'secret', 'db', '-n', NS_AGE, '--type', 'merge', '-p', JSON.stringify({ data: { password: drifted } })]);
    await eventually(
      'Secret drift reverted',
      async () =>
        Buffer.from(
          (await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', NS_AGE]))?.data.password ?? '',
          'base64',
        ).toString() === C.age,
      20_000,
    );
  });

  it('refuses a tampered revision (age and Vault files) and a wrong-key revision, naming the file', async () => {
    const good = await repo.head();
    // Sealed for the sync's own key: every value decrypts, so the refusal is the MAC, with the plaintext in memory.
    const tamperedOwnKey = flipLastModified(
      await encryptText(
        secretYaml('tampered', NS_AGE, `stringData:\n  password: ${C.tampered}\n`),
        { format: 'yaml', source: 'apps/tampered.yaml', keys: { age: [ageRecipient] }, rule: RULE },
        {},
      ),
    );
    const tamperedVault = flipLastModified(
      await encryptText(
        secretYaml('tampered', NS_VAULT, `stringData:\n  token: ${C.tamperedVault}\n`),
        { format: 'yaml', source: 'vault/tampered.yaml', keys: { hcVaultTransit: [stack.vault.transitUri] }, rule: RULE },
        { vault: { token: stack.vault.rootToken } },
      ),
    );
    const bad = await repo.commit({ 'apps/tampered.yaml': tamperedOwnKey, 'vault/tampered.yaml': tamperedVault }, 'tampered');
    await poke();
    for (const [name, file] of [
      [SYNC_AGE, 'apps/tampered.yaml'],
      [SYNC_VAULT, 'vault/tampered.yaml'],
    ] as const) {
      const st = await eventually(`${name} refuses the tampered revision`, async () => {
        const s = await sync(name);
        return refusedAt(s, bad) ? s : undefined;
      });
      expect(st.lastError?.message).toMatch(new RegExp(`decrypt.*${file.replace('.', '\\.')}.*tampered or corrupted`, 's'));
      expect(st.appliedRevision).toBe(good);
      texts.push([`lastError ${name} tampered`, st.lastError?.message ?? '']);
    }
    // The CLI on the same (bad) head refuses too.
    const b = await cli(['build', '-c', configFile, '-s', SYNC_AGE]);
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/apps\/tampered\.yaml/);

    const wrong = await encryptText(
      secretYaml('wrong', NS_AGE, `stringData:\n  password: ${C.wrongKey}\n`),
      { format: 'yaml', source: 'apps/wrong.yaml', keys: { age: [(await generateAgeIdentity()).recipient] }, rule: RULE },
      {},
    );
    const bad2 = await repo.commit({ 'apps/tampered.yaml': null, 'vault/tampered.yaml': null, 'apps/wrong.yaml': wrong }, 'wrong key');
    await poke();
    const st = await eventually('age sync refuses the wrong-key revision', async () => {
      const s = await sync(SYNC_AGE);
      return refusedAt(s, bad2) ? s : undefined;
    });
    expect(st.lastError?.message).toMatch(/decrypt.*apps\/wrong\.yaml/s);
    expect(st.appliedRevision).toBe(good);
    texts.push([`lastError wrong key`, st.lastError?.message ?? '']);
    const d = await cli(['diff', '-c', configFile, '-s', SYNC_AGE]);
    expect(d.err).toMatch(/apps\/wrong\.yaml/);
    expect(await getJson(stack, ['secret', 'tampered', '-n', NS_AGE])).toBeUndefined();
    expect(await getJson(stack, ['secret', 'wrong', '-n', NS_AGE])).toBeUndefined();

    // A sealed value that decrypts to a number (an unquoted PIN): Secret values must be strings,
    // so the apiserver refuses it — and its error must not carry the number.
    const numeric = await encryptText(
      secretYaml('pin', NS_AGE, `stringData:\n  pin: ${C.numeric}\n`),
      { format: 'yaml', source: 'apps/pin.yaml', keys: { age: [ageRecipient] }, rule: RULE },
      {},
    );
    const bad3 = await repo.commit({ 'apps/wrong.yaml': null, 'apps/pin.yaml': numeric }, 'numeric value');
    await poke();
    const st3 = await eventually('age sync refuses the non-string Secret value', async () => {
      const s = await sync(SYNC_AGE);
      return refusedAt(s, bad3) ? s : undefined;
    });
    expect(st3.lastError?.message).toMatch(/manifests.*apps\/pin\.yaml.*stringData\.pin must be a string/s);
    expect(st3.appliedRevision).toBe(good);
    texts.push([`lastError numeric`, st3.lastError?.message ?? '']);
    const dn = await cli(['diff', '-c', configFile, '-s', SYNC_AGE]);
    expect(dn.code).not.toBe(0);
    expect(await getJson(stack, ['secret', 'pin', '-n', NS_AGE])).toBeUndefined();

    const fixed = await repo.commit({ 'apps/pin.yaml': null }, 'back to good');
    await poke();
    await eventually('good revision applied again', async () => {
      const st2 = await status();
      return st2.syncs.every((s) => s.appliedRevision === fixed && !s.lastError);
    });
  });

  it('gitops-seal build and diff on the same repo and config redact every value', async () => {
    for (const s of [SYNC_AGE, SYNC_VAULT]) {
      const y = await cli(['build', '-c', configFile, '-s', s]);
      expect(y.code, y.err).toBe(0);
      expect(y.out).toMatch(/kind: Secret/);
      const j = await cli(['build', '-c', configFile, '-s', s, '-o', 'json']);
      expect(j.code, j.err).toBe(0);
      const d = await cli(['diff', '-c', configFile, '-s', s]);
      expect(d.err).toMatch(/0 to create, 0 to change, 0 to prune/);
      const dj = await cli(['diff', '-c', configFile, '-s', s, '-o', 'json']);
      expect(dj.code, dj.err).toBe(0);
    }
    // A diff with a drifted Secret value: the CLI reports the change without the values.
    await kubectl(stack, [
      'patch',
      'secret',
      'api',
      '-n',
      NS_VAULT,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { token: Buffer.from(C.drift).toString('base64') } }),
    ]);
    // The daemon reverts it within a second; the diff may or may not catch it in between, either is fine here.
    await cli(['diff', '-c', configFile, '-s', SYNC_VAULT]);
    await eventually(
      'vault Secret drift reverted',
      async () =>
        Buffer.from(
          (await getJson<{ data: Record<string, string> }>(stack, ['secret', 'api', '-n', NS_VAULT]))?.data.token ?? '',
          'base64',
        ).toString() === C.vault,
      20_000,
    );
  });

  it('image automation writes back beside the sealed Secret (its clone is swept below)', async () => {
    await pushImage(stack.registry.token, IMAGE_REPO, '1.1.0');
    await eventually(
      'write-back commit applied',
      async () =>
        (await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(stack, ['deployment', 'web', '-n', NS_AGE]))
          ?.spec.template.spec.containers[0]?.image === `${IMAGE}:1.1.0`,
      60_000,
      500,
    );
    await repo.git(['pull', '--quiet', 'origin', 'main']);
    expect(await repo.git(['log', '-1', '--format=%an'])).toBe('gitops-seal bot');
    // The sealed file went through the write-back clone untouched.
    expect(await repo.git(['diff', 'HEAD~1', '--stat', '--', 'apps/secret.yaml'])).toBe('');
  });

  it('no canary anywhere but the Secret objects (sweep with positive controls)', async () => {
    // Positive control 1: the Secrets in the cluster hold the applied canaries, in base64 at offset 0 and 1.
    const inCluster = new CanarySweep(ALL);
    inCluster.text('kubectl get secret (age)', await kubectl(stack, ['get', 'secret', 'db', '-n', NS_AGE, '-o', 'json']));
    inCluster.text('kubectl get secret (vault)', await kubectl(stack, ['get', 'secret', 'api', '-n', NS_VAULT, '-o', 'json']));
    expect(new Set(inCluster.hits.map((h) => h.canary))).toEqual(new Set(APPLIED));
    expect(inCluster.hits.some((h) => h.canary === C.ageEmbedded && h.form === 'b64@1')).toBe(true);
    // Positive control 2: a canary planted in a scratch file (zlib-compressed, base64 at offset 2) is found.
    scratch = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-plant-'));
    const plant = scratch;
    writeFileSync(join(plant, 'planted'), deflateSync(Buffer.from(`xy${C.vault}`).toString('base64')));
    const control = new CanarySweep(ALL);
    await control.dir(plant);
    expect(control.describe()).toEqual([`b64@2 of ${C.vault} in ${join(plant, 'planted')} (inflated)`]);

    const sweep = new CanarySweep(ALL);
    texts.push(['GET /status', await (await fetch(`${url}/status`)).text()]);
    // The web page (daemon/ui): its HTML, its data, and everything its live stream carried.
    for (const path of [
      '/',
      `/syncs/${SYNC_AGE}`,
      `/syncs/${SYNC_VAULT}`,
      '/ui/api/overview',
      `/ui/api/syncs/${SYNC_AGE}`,
      `/ui/api/syncs/${SYNC_VAULT}`,
    ]) {
      const r = await fetch(`${url}${path}`);
      expect(r.status, path).toBe(200);
      texts.push([`GET ${path}`, await r.text()]);
    }
    // The page shows what the image automation did: the policy's tag and the bump commit.
    const overview = JSON.parse(texts.find(([w]) => w === 'GET /ui/api/overview')?.[1] ?? '{}') as {
      images?: { name: string; currentTag?: string }[];
      automations?: { name: string; lastBumpCommit?: string }[];
    };
    expect(overview.images).toEqual([expect.objectContaining({ name: 'app', currentTag: '1.1.0' })]);
    expect(overview.automations?.[0]?.lastBumpCommit).toMatch(/^[0-9a-f]{40}$/);
    pageStream?.stop();
    expect(pageStream?.text).toMatch(/event: model/);
    expect(pageStream?.text).toContain('refused at decrypt');
    texts.push(['GET /ui/events (the live stream, whole run)', pageStream?.text ?? '']);
    const metrics = await fetch(`${url}/metrics`);
    texts.push([`GET /metrics (${metrics.status})`, await metrics.text()]);
    // Every Event in the cluster (other runs' included: a few MiB), not only ours.
    texts.push(['kubectl get events -A', await kubectl(stack, ['get', 'events', '-A', '-o', 'json'])]);
    await child.stop(10_000);
    // stdout and stderr, as the process wrote them (one log file).
    const stdout = child.output();
    texts.push([`daemon output (${child.logFile})`, stdout]);
    // The JSON logs are real and at debug level: they record the refusals.
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.filter((l) => l.msg === 'revision refused; last good revision stays applied').length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.msg === 'drift detected; re-applying')).toBe(true);
    for (const [where, t] of texts) sweep.text(where, t);

    // Files: the work dir (config, key file, data dir with the git stores), the work clone, and
    // every temp entry created or changed since the test began (the CLI's view caches included).
    await sweep.dir(work);
    await sweep.dir(repo.dir);
    const after = await tempEntries();
    const skipTemp = (p: string): boolean =>
      p === plant || p.startsWith(`${plant}/`) || p.startsWith(stack.logDir) || /\/go-build|\/gopath|\/stack($|\/)/.test(p);
    for (const [p, mtime] of after) {
      if (tempsBefore.get(p) === mtime || p === work || p === repo.dir || skipTemp(p)) continue;
      await sweep.dir(p, { exclude: skipTemp, maxFileBytes: 16 << 20, maxFiles: 5000 });
    }
    // Git objects: the daemon's stores, the work clone, the repo on the git server.
    const stores = [...(await findGitStores(dataDir)), join(repo.dir, '.git'), join(stack.git.reposDir, `rel-canary-${sfx}.git`)];
    expect(stores.length).toBeGreaterThanOrEqual(3);
    for (const s of stores) expect(await sweep.gitObjects(s)).toBeGreaterThan(0);

    const st = sweep.stats;
    console.log(
      `[figure] canary sweep: ${ALL.length} canaries, ${ALL.flatMap(canaryForms).length} needles; ${st.texts} texts, ${st.files} files, ` +
        `${st.objects} git objects in ${st.stores} stores, ${(st.bytes / 1024 / 1024).toFixed(1)} MiB swept; ${sweep.hits.length} hits; ` +
        `in-cluster control ${inCluster.hits.length} hits; skipped large files ${sweep.skipped.length}`,
    );
    expect(sweep.describe()).toEqual([]);
    expect(st.files).toBeGreaterThan(10);
    expect(st.objects).toBeGreaterThan(10);
  });
});
