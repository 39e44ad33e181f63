// Remote chart sources on real servers: an HTTP chart repository (a plain static file server
// over a directory indexed by the real `helm repo index`) and the stack's OCI registries (CNCF
// Distribution, htpasswd and token auth) with charts pushed by the real `helm push`. The chart
// version is picked by semver range, a version bump is picked up, a digest pin holds, digests are
// verified, credentials reach only the repository's origin, and values stay SOPS-encrypted.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText } from '../../../keys/index.js';
import { CanarySweep, makeCanary } from '../../../test/reliability/canary.js';
import { startRegistry } from '../../../test/stack/registry.js';
import { findRenderers } from '../../../test/stack/tools.js';
import type { RegistryInfo, StackInfo, Started } from '../../../test/stack/types.js';
import { testRepo, type TestRepo } from '../../../test/support/git-revision.js';
import { rejection, testAgeIdentities, testAgeRecipient } from '../../../test/support/test-age-key.js';
import { startStaticServer, type StaticServer } from '../../../test/support/static-server.js';
import { FaultProxy } from '../../../test/support/fault-proxy.js';
import { scratchRoot } from '../scratch.js';
import { ChartCache } from './chart-cache.js';
import { HelmRenderError } from './errors.js';
import { renderHelm } from './render.js';
import type { ChartSource, HelmRenderInput, RevisionReader } from './types.js';

const run = promisify(execFile);
const TESTDATA = join(import.meta.dirname, 'testdata');
const identities = testAgeIdentities;
const recipient = testAgeRecipient;
const canary = makeCanary('helm-remote');

let helm: string;
let work: string;
let repo: TestRepo;
let revision: RevisionReader;
let registry: Started<RegistryInfo> | undefined;
let reg: RegistryInfo;
const env: NodeJS.ProcessEnv = {};

/** helm with a HOME of its own (registry logins, caches) inside the test's work dir. */
async function helmRun(args: string[], input?: string): Promise<string> {
  const p = run(helm, args, { env: { PATH: '/usr/bin:/bin', HOME: join(work, 'home') }, maxBuffer: 16 << 20 });
  if (input !== undefined) {
    p.child.stdin?.end(input);
  }
  const { stdout, stderr } = await p;
  return `${stdout}${stderr}`;
}

/** `helm package` of the fixture chart at `version` into `dest`. */
async function packageChart(version: string, dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  await helmRun(['package', join(TESTDATA, 'webapp'), '--version', version, '--destination', dest]);
  return join(dest, `webapp-${version}.tgz`);
}

function input(chart: ChartSource, cache: ChartCache, over: Partial<HelmRenderInput> = {}): HelmRenderInput {
  return {
    sync: 'remote',
    release: { name: 'web', namespace: 'apps' },
    chart,
    valuesFiles: ['values/secrets.enc.yaml'],
    capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] },
    revision,
    keys: { ageIdentities: identities },
    env,
    tools: { helm, bash: '/bin/bash' },
    cache,
    ...over,
  };
}

function password(r: Awaited<ReturnType<typeof renderHelm>>): string {
  const s = r.objects.find((o) => o.object.kind === 'Secret');
  return Buffer.from((s?.object.data as { DB_PASSWORD: string }).DB_PASSWORD, 'base64').toString();
}

const refused = (p: Promise<unknown>): Promise<HelmRenderError> => rejection(p, HelmRenderError);

beforeAll(async () => {
  helm = findRenderers().helm;
  work = mkdtempSync(join(tmpdir(), 'helm-sources-'));
  chmodSync(work, 0o700);
  mkdirSync(join(work, 'home'));
  const shared = inject('stack') as StackInfo | undefined;
  if (shared?.registry) reg = shared.registry;
  else {
    registry = await startRegistry();
    reg = registry.info;
  }
  repo = await testRepo();
  const secrets = await encryptText(
    `db:\n  password: ${canary}\n`,
    { format: 'yaml', source: 'secrets.enc.yaml', keys: { age: [recipient] } },
    {},
  );
  repo.write('values/secrets.enc.yaml', secrets);
  revision = await repo.commit('values');
});

afterAll(async () => {
  repo?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
  await registry?.stop();
});

describe('HTTP chart repository (helm repo index, static file server)', () => {
  let server: StaticServer;
  let cdn: StaticServer;
  const dir = (): string => join(work, 'repo');

  beforeAll(async () => {
    await packageChart('1.0.0', dir());
    await packageChart('1.1.0', dir());
    await helmRun(['repo', 'index', dir()]);
    env.REPO_USER = 'charts';
    env.REPO_PASS = 'repo-password-xyz';
    server = await startStaticServer(dir(), { username: 'charts', password: 'repo-password-xyz' });
    cdn = await startStaticServer(join(work, 'cdn'));
  });
  afterAll(async () => {
    await server?.close();
    await cdn?.close();
  });
  const creds = { usernameFrom: { env: 'REPO_USER' }, passwordFrom: { env: 'REPO_PASS' } };

  it('picks the highest version in range, verifies the digest, renders with the decrypted values', async () => {
    const cache = new ChartCache();
    const r = await renderHelm(input({ repository: { url: server.url, chart: 'webapp', version: '^1.0.0', credentials: creds } }, cache));
    const index = parse(readFileSync(join(dir(), 'index.yaml'), 'utf8')) as { entries: { webapp: { version: string; digest: string }[] } };
    const entry = index.entries.webapp.find((e) => e.version === '1.1.0');
    expect(r.chart).toEqual({
      name: 'webapp',
      version: '1.1.0',
      appVersion: '2.1.0',
      digest: `sha256:${entry?.digest}`,
      source: `${server.url}/webapp-1.1.0.tgz`,
    });
    expect(password(r)).toBe(canary);
    expect(server.requests.map((q) => q.path)).toEqual(['/index.yaml', '/webapp-1.1.0.tgz']);
    expect(server.requests.every((q) => q.authorized)).toBe(true);

    // Cached by digest: the next render asks for the index only.
    await renderHelm(input({ repository: { url: server.url, chart: 'webapp', version: '^1.0.0', credentials: creds } }, cache));
    expect(server.requests.map((q) => q.path).slice(2)).toEqual(['/index.yaml']);
    expect(cache.hits).toBe(1);
  });

  it('picks up a version bump in range and keeps an exact pin', async () => {
    await packageChart('1.2.0', dir());
    await helmRun(['repo', 'index', dir()]);
    const cache = new ChartCache();
    const bumped = await renderHelm(
      input({ repository: { url: server.url, chart: 'webapp', version: '>=1.0.0 <2', credentials: creds } }, cache),
    );
    expect(bumped.chart.version).toBe('1.2.0');
    const pinned = await renderHelm(
      input({ repository: { url: server.url, chart: 'webapp', version: '1.1.0', credentials: creds } }, cache),
    );
    expect(pinned.chart.version).toBe('1.1.0');
    expect(pinned.identity).not.toBe(bumped.identity);
  });

  it('refuses an archive whose digest differs from the index, and says what is missing', async () => {
    copyFileSync(join(dir(), 'webapp-1.0.0.tgz'), join(dir(), 'webapp-1.2.0.tgz'));
    const e = await refused(
      renderHelm(input({ repository: { url: server.url, chart: 'webapp', version: '1.2.0', credentials: creds } }, new ChartCache())),
    );
    expect(e.reason).toBe('digest');
    expect(e.message).toMatch(/1\.2\.0: downloaded archive has digest sha256:[a-f0-9]{64}, the index says sha256:/);
    const none = await refused(
      renderHelm(input({ repository: { url: server.url, chart: 'webapp', version: '^9', credentials: creds } }, new ChartCache())),
    );
    expect(none.reason).toBe('not-found');
    expect(none.message).toMatch(/no version of "webapp" matches "\^9"/);
    const anon = await refused(renderHelm(input({ repository: { url: server.url, chart: 'webapp' } }, new ChartCache())));
    expect(anon.message).toMatch(/answered 401/);
    expect(anon.message).not.toContain('repo-password-xyz');
  });

  it('sends credentials only to the repository origin, not to a chart URL on another host', async () => {
    const cdnDir = join(work, 'cdn');
    mkdirSync(cdnDir, { recursive: true });
    const tgz = await packageChart('3.0.0', join(work, 'staging'));
    copyFileSync(tgz, join(cdnDir, 'webapp-3.0.0.tgz'));
    const index = parse(readFileSync(join(dir(), 'index.yaml'), 'utf8')) as { entries: { webapp: Record<string, unknown>[] } };
    const digest = (await run('sha256sum', [tgz])).stdout.split(' ')[0];
    index.entries.webapp.unshift({ apiVersion: 'v2', name: 'webapp', version: '3.0.0', digest, urls: [`${cdn.url}/webapp-3.0.0.tgz`] });
    writeFileSync(join(dir(), 'index.yaml'), stringify(index));
    const r = await renderHelm(
      input({ repository: { url: server.url, chart: 'webapp', version: '^3', credentials: creds } }, new ChartCache()),
    );
    expect(r.chart.version).toBe('3.0.0');
    expect(cdn.requests).toEqual([{ path: '/webapp-3.0.0.tgz', authorized: false }]);
  });
});

describe('OCI registry (helm push to the stack registry)', () => {
  const digests = new Map<string, string>();

  async function push(endpoint: { host: string; username: string; password: string }, version: string): Promise<string> {
    const tgz = await packageChart(version, join(work, 'oci'));
    await helmRun(
      ['registry', 'login', endpoint.host, '--username', endpoint.username, '--password-stdin', '--plain-http'],
      endpoint.password,
    );
    const out = await helmRun(['push', tgz, `oci://${endpoint.host}/charts-${process.pid}`, '--plain-http']);
    const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
    expect(digest).toBeDefined();
    return digest as string;
  }

  beforeAll(async () => {
    for (const v of ['1.0.0', '1.1.0']) digests.set(`basic:${v}`, await push(reg.basic, v));
    digests.set('token:1.0.0', await push(reg.token, '1.0.0'));
    env.REG_USER = reg.basic.username;
    env.REG_PASS = reg.basic.password;
    env.TOKEN_USER = reg.token.username;
    env.TOKEN_PASS = reg.token.password;
  });
  const basicCreds = { usernameFrom: { env: 'REG_USER' }, passwordFrom: { env: 'REG_PASS' } };
  const url = (host: string): string => `oci://${host}/charts-${process.pid}/webapp`;

  it('picks the highest tag in range, identity digest = the manifest digest helm push printed', async () => {
    const r = await renderHelm(
      input({ oci: { url: url(reg.basic.host), version: '^1', credentials: basicCreds, insecure: true } }, new ChartCache()),
    );
    expect(r.chart).toEqual({
      name: 'webapp',
      version: '1.1.0',
      appVersion: '2.1.0',
      digest: digests.get('basic:1.1.0'),
      source: url(reg.basic.host),
    });
    expect(password(r)).toBe(canary);
  });

  it('a digest pin holds against a newer tag and, once cached, needs no registry at all', async () => {
    const cache = new ChartCache();
    const pin = digests.get('basic:1.0.0') as string;
    const r = await renderHelm(
      input({ oci: { url: url(reg.basic.host), digest: pin, version: '^1', credentials: basicCreds, insecure: true } }, cache),
    );
    expect(r.chart.version).toBe('1.0.0');
    expect(r.chart.digest).toBe(pin);
    // Same pin, registry unreachable (a closed port): served from the cache.
    const again = await renderHelm(input({ oci: { url: 'oci://127.0.0.1:9/charts/webapp', digest: pin, insecure: true } }, cache));
    expect(again.chart.digest).toBe(pin);
    expect(cache.hits).toBe(1);
  });

  it('authenticates with the token service as image scanning does; refuses wrong credentials and unknown digests', async () => {
    const creds = { usernameFrom: { env: 'TOKEN_USER' }, passwordFrom: { env: 'TOKEN_PASS' } };
    const r = await renderHelm(
      input({ oci: { url: url(reg.token.host), version: '1.0.0', credentials: creds, insecure: true } }, new ChartCache()),
    );
    expect(r.chart.digest).toBe(digests.get('token:1.0.0'));

    env.BAD_PASS = 'wrong';
    const bad = await refused(
      renderHelm(
        input(
          {
            oci: {
              url: url(reg.token.host),
              credentials: { usernameFrom: { env: 'TOKEN_USER' }, passwordFrom: { env: 'BAD_PASS' } },
              insecure: true,
            },
          },
          new ChartCache(),
        ),
      ),
    );
    expect(bad.reason).toBe('fetch');
    expect(bad.message).toMatch(/unauthorized/);
    const unknown = await refused(
      renderHelm(
        input(
          { oci: { url: url(reg.basic.host), digest: `sha256:${'0'.repeat(64)}`, credentials: basicCreds, insecure: true } },
          new ChartCache(),
        ),
      ),
    );
    expect(unknown.reason).toBe('not-found');
  });
});

describe('OCI faults a healthy registry cannot produce (proxy in front of the real one)', () => {
  it('follows a blob redirect without our Authorization, and refuses a blob whose bytes do not match', async () => {
    const tgz = readFileSync(join(work, 'oci', 'webapp-1.1.0.tgz'));
    const layer = `sha256:${createHash('sha256').update(tgz).digest('hex')}`;
    const cdnDir = join(work, 'blob-cdn');
    mkdirSync(cdnDir, { recursive: true });
    writeFileSync(join(cdnDir, 'chart-blob'), tgz);
    const cdn = await startStaticServer(cdnDir);
    const proxy = await FaultProxy.start(`http://${reg.basic.host}`);
    const isLayer = (url: string): boolean => url.includes(`/blobs/${layer}`);
    const chart: ChartSource = {
      oci: {
        url: `oci://${proxy.host}/charts-${process.pid}/webapp`,
        version: '1.1.0',
        credentials: { usernameFrom: { env: 'REG_USER' }, passwordFrom: { env: 'REG_PASS' } },
        insecure: true,
      },
    };
    try {
      proxy.setScript((req) =>
        isLayer(req.path) ? { status: 307, headers: { location: `${cdn.url}/chart-blob` }, body: Buffer.alloc(0) } : 'forward',
      );
      const r = await renderHelm(input(chart, new ChartCache()));
      expect(r.chart.version).toBe('1.1.0');
      expect(cdn.requests).toEqual([{ path: '/chart-blob', authorized: false }]);

      proxy.setScript((req) =>
        isLayer(req.path) ? (up) => ({ ...up, body: Buffer.concat([up.body, Buffer.from('tampered')]) }) : 'forward',
      );
      const e = await refused(renderHelm(input(chart, new ChartCache())));
      expect(e.reason).toBe('digest');
      expect(e.message).toContain(`blob charts-${process.pid}/webapp@${layer}: body has digest sha256:`);
    } finally {
      await proxy.stop();
      await cdn.close();
    }
  });
});

describe('no plaintext left behind', () => {
  it('finds the canary nowhere in /tmp, /dev/shm or the scratch root', async () => {
    const sweep = new CanarySweep([canary]);
    for (const root of new Set([tmpdir(), '/dev/shm', scratchRoot()])) await sweep.dir(root, { maxFiles: 50_000 });
    expect(sweep.hits).toEqual([]);
  });
});
