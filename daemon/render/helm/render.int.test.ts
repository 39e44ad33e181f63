// renderHelm against the REAL helm (v4, test/stack/build/helm.sh) and the real sops: a chart in
// a Git revision with a plain and a SOPS-encrypted values file. Our output is compared
// object-for-object (every document, parsed with kubectl semantics) with `helm template` given
// the same values as plaintext files in a private temp dir. Then the refusals (tampered, wrong
// key, missing file, encrypted file inside the chart), redaction of a helm error quoting a
// secret, timeout. The canary sweep of every path: test/reliability/render-helm.int.test.ts.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../../keys/index.js';
import { makeCanary } from '../../../test/reliability/canary.js';
import { findRenderers, findTools } from '../../../test/stack/tools.js';
import { testRepo, type TestRepo } from '../../../test/support/git-revision.js';
import { rejection, testAgeIdentities, testAgeRecipient } from '../../../test/support/test-age-key.js';
import { applyPolicies } from '../../writeback/index.js';
import { scratchRoot, SCRATCH_PREFIX } from '../scratch.js';
import { HelmRenderError } from './errors.js';
import { classify } from './hooks.js';
import { parseRendered } from './output.js';
import { RenderCache } from '../cache.js';
import { renderHelm } from './render.js';
import type { HelmRenderInput, HelmRenderResult } from './types.js';

const run = promisify(execFile);
const TESTDATA = join(import.meta.dirname, 'testdata');
const identities = testAgeIdentities;
const recipient = testAgeRecipient;

const canary = makeCanary('helm-values');
const capabilities = {
  kubeVersion: 'v1.35.4',
  apiVersions: ['v1', 'apps/v1', 'batch/v1', 'monitoring.coreos.com/v1', 'monitoring.coreos.com/v1/ServiceMonitor'],
};

let helm: string;
let sops: string;
let repo: TestRepo;
/** 0700 dir of the test's own plaintext (the reference render's input): the sweep skips it. */
let privateDir: string;

async function sopsEncrypt(plain: string, to: string): Promise<string> {
  const file = join(privateDir, `plain-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, plain, { mode: 0o600 });
  const { stdout } = await run(sops, ['encrypt', '--age', to, '--input-type', 'yaml', '--output-type', 'yaml', file], {
    env: { PATH: '/usr/bin:/bin' },
  });
  return stdout;
}

function input(over: Partial<HelmRenderInput> & Pick<HelmRenderInput, 'revision'>): HelmRenderInput {
  return {
    sync: 'apps',
    release: { name: 'web', namespace: 'apps' },
    chart: { git: { path: 'charts/webapp' } },
    valuesFiles: ['clusters/staging/webapp.yaml', 'clusters/staging/webapp-secrets.enc.yaml'],
    values: { config: { logLevel: 'warn' } },
    capabilities,
    keys: { ageIdentities: identities },
    tools: { helm, bash: '/bin/bash' },
    ...over,
  };
}

const refused = (p: Promise<unknown>): Promise<HelmRenderError> => rejection(p, HelmRenderError);

const secretPlain = `db:\n  user: app-staging\n  password: ${canary}\n`;

beforeAll(async () => {
  helm = findRenderers().helm;
  sops = findTools().sops;
  privateDir = mkdtempSync(join(tmpdir(), 'helm-render-plain-'));
  chmodSync(privateDir, 0o700);
  repo = await testRepo();
  repo.copy(join(TESTDATA, 'webapp'), 'charts/webapp');
  repo.copy(join(TESTDATA, 'values/staging.yaml'), 'clusters/staging/webapp.yaml');
  repo.write('clusters/staging/webapp-secrets.enc.yaml', await sopsEncrypt(secretPlain, recipient));
});

afterAll(() => {
  repo?.remove();
  if (privateDir) rmSync(privateDir, { recursive: true, force: true });
});

describe('renderHelm on the real helm, chart in Git', () => {
  let result: HelmRenderResult;

  it('equals helm template with the same values given as plaintext files, object for object', async () => {
    const revision = await repo.commit('chart and values');
    result = await renderHelm(input({ revision }));

    // Reference: helm itself, values as files (the SOPS one decrypted by the real sops).
    const ref = mkdtempSync(join(privateDir, 'ref-'));
    writeFileSync(join(ref, 'secrets.yaml'), secretPlain, { mode: 0o600 });
    writeFileSync(join(ref, 'inline.json'), JSON.stringify({ config: { logLevel: 'warn' } }));
    const args = ['template', 'web', join(repo.dir, 'charts/webapp'), '--namespace', 'apps', '--kube-version', 'v1.35.4'];
    for (const a of capabilities.apiVersions) args.push('--api-versions', a);
    args.push(
      '--include-crds',
      '-f',
      join(repo.dir, 'clusters/staging/webapp.yaml'),
      '-f',
      join(ref, 'secrets.yaml'),
      '-f',
      join(ref, 'inline.json'),
    );
    const { stdout } = await run(helm, args, { env: { PATH: '/usr/bin:/bin', HOME: ref }, maxBuffer: 64 << 20 });
    const expected = classify(
      parseRendered(stdout, (s) => s.replace(/^webapp\//, 'charts/webapp/')),
      false,
    );

    expect(result.crds).toEqual(expected.crds);
    expect(result.objects).toEqual(expected.objects);
    expect(result.hooks).toEqual(expected.hooks);
    expect(result.skippedHooks).toEqual(expected.skippedHooks);
    const all = [...result.crds, ...result.objects, ...result.hooks.pre, ...result.hooks.post].length + result.skippedHooks.length;
    expect(all).toBe(parseRendered(stdout).length);

    // The secret reached the chart: the rendered Secret holds the canary (base64, as charts do).
    const secret = result.objects.find((o) => o.object.kind === 'Secret');
    expect(Buffer.from((secret?.object.data as { DB_PASSWORD: string }).DB_PASSWORD, 'base64').toString()).toBe(canary);
    expect(secret?.file).toBe('charts/webapp/templates/secret.yaml');
  });

  it('puts CRDs first, takes .Capabilities and the release from the input, and reports every hook', () => {
    expect(result.crds.map((o) => (o.object.metadata as { name: string }).name)).toEqual(['widgets.example.com']);
    expect(result.crds[0]?.file).toBe('charts/webapp/crds/widgets.yaml');
    const cm = result.objects.find((o) => o.object.kind === 'ConfigMap')?.object.data as Record<string, string>;
    expect(cm).toMatchObject({
      KUBE_VERSION: 'v1.35.4',
      RELEASE_NAMESPACE: 'apps',
      IS_UPGRADE: 'false',
      LOG_LEVEL: 'warn',
      FEATURES: 'search,export',
    });
    expect(result.objects.some((o) => o.object.kind === 'ServiceMonitor')).toBe(true);
    expect(result.hooks.pre.map((h) => (h.manifest.object.metadata as { name: string }).name)).toEqual(['web-webapp-migrate']);
    expect(result.hooks.post.map((h) => (h.manifest.object.metadata as { name: string }).name)).toEqual(['web-webapp-notify']);
    expect(result.skippedHooks.map((s) => [s.name, s.events])).toEqual([
      ['web-webapp-smoke', ['test']],
      ['web-webapp-cleanup', ['pre-delete']],
    ]);
    expect(result.chart).toMatchObject({ name: 'webapp', version: '1.0.0', appVersion: '2.1.0', source: 'git:charts/webapp' });
    expect(result.chart.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('changes identity with values, capabilities and upgrade, not with an unrelated commit', async () => {
    repo.write('README.md', 'unrelated\n');
    const revision = await repo.commit('unrelated');
    const same = await renderHelm(input({ revision }));
    expect(same.identity).toBe(result.identity);
    expect(same.chart.digest).toBe(result.chart.digest);

    const upgrade = await renderHelm(
      input({ revision, isUpgrade: true, capabilities: { kubeVersion: 'v1.34.0', apiVersions: ['v1', 'apps/v1', 'batch/v1'] } }),
    );
    expect(upgrade.identity).not.toBe(result.identity);
    expect(upgrade.objects.some((o) => o.object.kind === 'ServiceMonitor')).toBe(false);
    expect((upgrade.objects.find((o) => o.object.kind === 'ConfigMap')?.object.data as Record<string, string>).IS_UPGRADE).toBe('true');
    expect(upgrade.hooks.post).toEqual([]);
    expect(upgrade.skippedHooks.find((s) => s.name === 'web-webapp-notify')?.reason).toMatch(/^install hook/);

    const other = await renderHelm(input({ revision, values: { config: { logLevel: 'error' } } }));
    expect(other.valuesDigest).not.toBe(result.valuesDigest);
  });

  it('does not re-render an unchanged input; a commit outside the chart and values does not count', async () => {
    const cache = new RenderCache<HelmRenderResult>();
    const revision = await repo.commit('same');
    const first = await renderHelm(input({ revision, renderCache: cache }));
    expect(first.cached).toBe(false);
    repo.write('docs/notes.md', 'outside the rendered tree\n');
    const second = await renderHelm(input({ revision: await repo.commit('outside'), renderCache: cache }));
    expect(second.cached).toBe(true);
    expect(second.objects).toEqual(first.objects);
    repo.write('charts/webapp/templates/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
    const third = await renderHelm(input({ revision: await repo.commit('chart change'), renderCache: cache }));
    expect(third.cached).toBe(false);
    expect(third.objects.some((o) => (o.object.metadata as { name: string }).name === 'extra')).toBe(true);
    rmSync(join(repo.dir, 'charts/webapp/templates/extra.yaml'));
  });

  it('image automation edits the marker in a values file byte-exact, and the next render carries it', async () => {
    const path = 'clusters/staging/webapp.yaml';
    const before = readFileSync(join(repo.dir, path), 'utf8');
    const applied = applyPolicies(
      [{ path, text: before }],
      [
        {
          name: 'webapp',
          namespaces: ['apps'],
          matchAnyNamespace: false,
          value: { image: 'registry.example.com/team/webapp', tag: '2.2.0' },
        },
      ],
    );
    const after = applied.changed[0]?.text as string;
    expect(after).toBe(before.replace('tag: "2.1.1"', 'tag: "2.2.0"'));
    repo.write(path, after);
    const r = await renderHelm(input({ revision: await repo.commit('image update') }));
    const deploy = r.objects.find((o) => o.object.kind === 'Deployment')?.object as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(deploy.spec.template.spec.containers[0]?.image).toBe('registry.example.com/team/webapp:2.2.0');
    repo.write(path, before);
  });

  it('refuses a tampered values file, naming it, before running helm', async () => {
    const good = readFileSync(join(repo.dir, 'clusters/staging/webapp-secrets.enc.yaml'), 'utf8');
    // Flip one character of the password's ciphertext.
    const tampered = good.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(good);
    repo.write('clusters/staging/webapp-secrets.enc.yaml', tampered);
    const e = await refused(renderHelm(input({ revision: await repo.commit('tampered') })));
    expect(e.reason).toBe('values');
    expect(e.message).toContain('clusters/staging/webapp-secrets.enc.yaml');
    expect(e.message).toMatch(/tampered|MAC|authenticate/);
    repo.write('clusters/staging/webapp-secrets.enc.yaml', good);
  });

  it('refuses a values file encrypted to another key, a missing values file, and a SOPS file inside the chart', async () => {
    const other = await generateAgeIdentity();
    repo.write('clusters/staging/other.enc.yaml', await sopsEncrypt('db:\n  password: not-for-us\n', other.recipient));
    const revision = await repo.commit('wrong key');
    const wrong = await refused(renderHelm(input({ revision, valuesFiles: ['clusters/staging/other.enc.yaml'] })));
    expect(wrong.reason).toBe('values');
    expect(wrong.message).toContain('clusters/staging/other.enc.yaml');
    expect(wrong.message).toMatch(/no key/);

    const missing = await refused(renderHelm(input({ revision, valuesFiles: ['clusters/staging/nope.yaml'] })));
    expect(missing.message).toMatch(/clusters\/staging\/nope\.yaml.*not found/);

    repo.write('charts/webapp/secrets.yaml', await sopsEncrypt('token: x\n', recipient));
    const inside = await refused(renderHelm(input({ revision: await repo.commit('sops in chart') })));
    expect(inside.reason).toBe('chart');
    expect(inside.message).toContain('charts/webapp/secrets.yaml');
    rmSync(join(repo.dir, 'charts/webapp/secrets.yaml'));
    // A SOPS values file that lives in the chart dir is fine: it is left out of the copy.
    repo.write('charts/webapp/values-secret.enc.yaml', readFileSync(join(repo.dir, 'clusters/staging/webapp-secrets.enc.yaml')));
    const ok = await renderHelm(
      input({ revision: await repo.commit('values in chart dir'), valuesFiles: ['charts/webapp/values-secret.enc.yaml'] }),
    );
    expect(ok.objects.some((o) => o.object.kind === 'Secret')).toBe(true);
    rmSync(join(repo.dir, 'charts/webapp/values-secret.enc.yaml'));
  });

  it("carries helm's own message, with the secret values redacted", async () => {
    const revision = await repo.commit('same');
    const e = await refused(renderHelm(input({ revision, values: { failRender: true } })));
    expect(e.reason).toBe('helm');
    expect(e.message).toContain('refusing to render with db password ***');
    expect(e.message).not.toContain(canary);
    // Without the SOPS file the chart's `required` fails: helm's message names the cause.
    const req = await refused(renderHelm(input({ revision, valuesFiles: ['clusters/staging/webapp.yaml'] })));
    expect(req.message).toContain('db.password is required');
  });

  it('times out, kills helm and leaves no scratch dir', async () => {
    const revision = await repo.commit('same');
    const e = await refused(renderHelm(input({ revision, timeoutMs: 5 })));
    expect(e.reason).toBe('timeout');
    const mine = readdirSync(scratchRoot()).filter((n) => n.startsWith(`${SCRATCH_PREFIX}${process.pid}-`));
    expect(mine).toEqual([]);
  });
});
