// renderKustomize against the real kustomize (v5.8.1, test/stack/build/kustomize.sh) and, for
// the dotenv/binary SOPS formats, the real sops. Fixtures: daemon/render/testdata/repo, in the
// shape Flux users have (apps/base + staging + production, a component, clusters/, infrastructure/).
// Parity is object-for-object, in order: our objects equal what `kustomize build` prints for
// the same tree, decoded by the same reader.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity, type KeyContext } from '../../keys/index.js';
import { dirRevision } from '../../test/support/dir-revision.js';
import { CanarySweep, makeCanary } from '../../test/reliability/canary.js';
import { findRenderer, findTools } from '../../test/stack/tools.js';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import { sharedOrOwnGitServer } from '../../test/support/git-server.js';
import { readManifests } from '../manifests/index.js';
import { RenderCache, RenderError, renderKustomize, type KustomizeRenderInput, type KustomizeRenderResult } from './index.js';

const run = promisify(execFile);
const repoDir = fileURLToPath(new URL('./testdata/repo', import.meta.url));

let kustomize: string;
let sops: string;
let keys: KeyContext;
let recipient: string;
let otherRecipient: string;
let scratchRoot: string;
let work: string;
const canaries = { db: makeCanary('render-db'), api: makeCanary('render-api'), tls: makeCanary('render-tls') };
let secureFiles: Record<string, string>;
let plainFiles: Record<string, string>;

async function sopsEncrypt(path: string, text: string, type: 'dotenv' | 'binary', to = recipient): Promise<string> {
  const file = join(work, path.replace(/\//g, '_'));
  writeFileSync(file, text);
  const { stdout } = await run(sops, ['encrypt', '--age', to, '--input-type', type, '--output-type', type, file], { env: { PATH: process.env.PATH ?? '' } });
  rmSync(file);
  return stdout;
}

const dbSecret = (): string => `apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    tier: data
type: Opaque
stringData:
  DB_PASSWORD: ${canaries.db}
data:
  DB_USER: ${Buffer.from('app').toString('base64')}
`;

async function kustomizeBuild(dir: string, path: string): Promise<unknown[]> {
  const { stdout } = await run(kustomize, ['build', path], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
  return readManifests([{ path: 'build.yaml', text: stdout }]).objects.map((o) => o.object);
}

function input(over: Partial<KustomizeRenderInput> & Pick<KustomizeRenderInput, 'path' | 'revision'>): KustomizeRenderInput {
  return { sync: 'apps', keys, kustomize, scratchRoot, timeoutMs: 60_000, ...over };
}

const objectsOf = (r: KustomizeRenderResult): unknown[] => r.objects.map((o) => o.object);

beforeAll(async () => {
  kustomize = findRenderer('kustomize');
  sops = findTools().sops;
  const me = await generateAgeIdentity();
  const other = await generateAgeIdentity();
  recipient = me.recipient;
  otherRecipient = other.recipient;
  keys = { ageIdentities: [me.identity] };
  scratchRoot = mkdtempSync(join(tmpdir(), 'render-scratch-'));
  work = mkdtempSync(join(tmpdir(), 'render-work-'));
  const env = `API_TOKEN=${canaries.api}\nAPI_USER=svc-api\n`;
  const tls = `-----BEGIN PRIVATE KEY-----\n${canaries.tls}\n-----END PRIVATE KEY-----\n`;
  plainFiles = { 'apps/secure/base/db-secret.enc.yaml': dbSecret(), 'apps/secure/overlay/api.enc.env': env, 'apps/secure/overlay/tls.enc.key': tls };
  secureFiles = {
    'apps/secure/base/db-secret.enc.yaml': await encryptText(dbSecret(), { format: 'yaml', source: 'db-secret.enc.yaml', keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } }, keys),
    'apps/secure/overlay/api.enc.env': await sopsEncrypt('api.enc.env', env, 'dotenv'),
    'apps/secure/overlay/tls.enc.key': await sopsEncrypt('tls.enc.key', tls, 'binary'),
  };
});

afterAll(() => {
  rmSync(scratchRoot, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('renderKustomize: plain overlays equal kustomize build', () => {
  for (const path of ['apps/staging', 'apps/production', 'clusters/staging', 'apps/base']) {
    it(path, async () => {
      const r = await renderKustomize(input({ path, revision: dirRevision(repoDir) }));
      expect(objectsOf(r)).toEqual(await kustomizeBuild(repoDir, path));
      expect(r.objects.every((o) => !o.decrypted && o.file === r.kustomization)).toBe(true);
      expect(r.objects.length).toBeGreaterThan(2);
      expect(readdirSync(scratchRoot)).toEqual([]);
    });
  }

  it('lays out only the subtrees the graph reaches', async () => {
    const r = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir) }));
    expect(r.inputs.some((p) => p.startsWith('apps/base/'))).toBe(true);
    expect(r.inputs.some((p) => p.startsWith('apps/components/monitoring/'))).toBe(true);
    expect(r.inputs.some((p) => p.startsWith('apps/production/') || p.startsWith('apps/secure/') || p.startsWith('infrastructure/'))).toBe(false);
  });
});

describe('renderKustomize: SOPS inputs', () => {
  it('decrypts an encrypted Secret in a base transformed by the overlay, and secretGenerator sources fed through FIFOs; equal to kustomize build of the plaintext', async () => {
    const r = await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles) }));
    const plainCopy = mkdtempSync(join(work, 'plain-'));
    cpSync(repoDir, plainCopy, { recursive: true });
    for (const [p, text] of Object.entries(plainFiles)) writeFileSync(join(plainCopy, p), text);
    const expected = await kustomizeBuild(plainCopy, 'apps/secure/overlay');
    rmSync(plainCopy, { recursive: true, force: true });
    expect(objectsOf(r)).toEqual(expected);
    const byName = new Map(r.objects.map((o) => [o.object.metadata.name, o]));
    const db = byName.get('prod-db');
    expect(db?.decrypted).toBe(true);
    expect(db?.file).toBe('apps/secure/base/db-secret.enc.yaml');
    expect(db?.object.metadata.namespace).toBe('secure');
    expect(db?.object.metadata.labels).toEqual({ tier: 'data', env: 'prod' });
    expect((db?.object.stringData as Record<string, string>).DB_PASSWORD).toBe(canaries.db);
    expect('sops' in (db?.object ?? {})).toBe(false);
    const gen = [...byName.keys()].find((n) => n?.startsWith('prod-api-creds-'));
    expect(gen).toBeDefined();
    expect(r.decryptedFiles).toEqual(['apps/secure/base/db-secret.enc.yaml', 'apps/secure/overlay/api.enc.env', 'apps/secure/overlay/tls.enc.key']);
  });

  it('refuses a tampered resource file, naming it; nothing rendered', async () => {
    const enc = secureFiles['apps/secure/base/db-secret.enc.yaml'] as string;
    const tampered = enc.replace(/(DB_PASSWORD: ENC\[AES256_GCM,data:)(.)/, (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(enc);
    const err = await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, { ...secureFiles, 'apps/secure/base/db-secret.enc.yaml': tampered }) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('decrypt');
    expect((err as Error).message).toContain('apps/secure/base/db-secret.enc.yaml');
    expect((err as Error).message).toMatch(/tampered/);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('refuses a tampered generator source and a wrong-key file, naming each', async () => {
    const env = secureFiles['apps/secure/overlay/api.enc.env'] as string;
    const tamperedEnv = env.replace(/^(API_USER=ENC\[AES256_GCM,data:)(.)/m, (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`);
    expect(tamperedEnv).not.toBe(env);
    const wrongKey = await sopsEncrypt('tls.enc.key', 'other\n', 'binary', otherRecipient);
    const err = await renderKustomize(
      input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, { ...secureFiles, 'apps/secure/overlay/api.enc.env': tamperedEnv, 'apps/secure/overlay/tls.enc.key': wrongKey }) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/apps\/secure\/overlay\/api\.enc\.env: .*tampered/);
    expect(msg).toMatch(/apps\/secure\/overlay\/tls\.enc\.key: .*no key could decrypt/);
  });

  it('refuses ciphertext an overlay patch brings in from a file it did not verify', async () => {
    const enc = secureFiles['apps/secure/base/db-secret.enc.yaml'] as string;
    // The same Secret, encrypted for someone else, dropped in as a patch: its ENC values are not
    // from any verified file of this render (the patch is a file we read, but a patch's sops
    // block is merged into the target, so the walk treats it as a manifest: decrypt refuses it).
    const foreign = await encryptText(dbSecret(), { format: 'yaml', source: 'x', keys: { age: [otherRecipient] }, rule: { encryptedRegex: '^(data|stringData)$' } }, keys);
    const overlay = `resources:\n  - ../base\npatches:\n  - path: evil-patch.yaml\n`;
    const err = await renderKustomize(
      input({ path: 'apps/secure/patched', revision: dirRevision(repoDir, { ...secureFiles, 'apps/secure/base/db-secret.enc.yaml': enc, 'apps/secure/patched/kustomization.yaml': overlay, 'apps/secure/patched/evil-patch.yaml': foreign }) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toContain('apps/secure/patched/evil-patch.yaml');
  });
});

describe('renderKustomize: refusals and limits', () => {
  it('refuses remote bases before running kustomize, naming file, field and host', async () => {
    const err = await renderKustomize(input({ path: 'apps/remote', revision: dirRevision(repoDir), kustomize: '/nonexistent/kustomize' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('graph');
    const msg = (err as Error).message;
    expect(msg).toContain('apps/remote/kustomization.yaml: resources "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6" is a remote reference to github.com');
    expect(msg).toContain('gitlab.example.com');
  });

  it('a kustomize error names the kustomization and carries kustomize’s message with repo paths', async () => {
    const err = await renderKustomize(input({ path: 'apps/broken', revision: dirRevision(repoDir, { 'apps/broken/kustomization.yaml': 'resources:\n  - bad.yaml\n', 'apps/broken/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n' }) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('tool');
    const msg = (err as Error).message;
    expect(msg).toContain('apps/broken/kustomization.yaml');
    expect(msg).not.toContain(scratchRoot);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('a timeout kills kustomize and removes the scratch dir', async () => {
    const err = await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), timeoutMs: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toMatch(/timeout/);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('output above the limit is refused', async () => {
    const err = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), maxOutputBytes: 512 })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/output-limit/);
  });
});

describe('renderKustomize: remote base from an allow-listed host', () => {
  it('is refused by default and fetched (real git http-backend) when the host is allow-listed; credentials never in messages', async () => {
    const server = await sharedOrOwnGitServer();
    try {
      const name = `render-remote-${Date.now()}`;
      await createRepo(server.info, name, {
        'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
        'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-cm\ndata:\n  a: b\n',
      });
      const url = `${authedUrl(server.info, name)}//base?ref=main`;
      const revision = dirRevision(repoDir, { 'apps/remote-ok/kustomization.yaml': `namespace: team\nresources:\n  - ${url}\n` });
      const host = new URL(server.info.url).hostname;
      const refused = await renderKustomize(input({ path: 'apps/remote-ok', revision })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RenderError);
      expect((refused as Error).message).toContain(`is a remote reference to ${host}`);
      expect((refused as Error).message).not.toContain(server.info.password);
      const cache = new RenderCache<KustomizeRenderResult>();
      const r = await renderKustomize(input({ path: 'apps/remote-ok', revision, allowRemoteHosts: [host], cache }));
      expect(r.objects.map((o) => [o.object.kind, o.object.metadata.name, o.object.metadata.namespace])).toEqual([['ConfigMap', 'remote-cm', 'team']]);
      expect(r.warnings.join('\n')).toContain(`allow-listed host ${host}`);
      expect(r.warnings.join('\n')).not.toContain(server.info.password);
      // A remote can move without a commit here: never served from the cache.
      expect((await renderKustomize(input({ path: 'apps/remote-ok', revision, allowRemoteHosts: [host], cache }))).cached).toBe(false);
      expect(readdirSync(scratchRoot)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('renderKustomize: cache', () => {
  it('an unchanged revision and a commit outside the rendered tree do not re-render; a change inside does', async () => {
    const cache = new RenderCache<KustomizeRenderResult>();
    const first = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), cache }));
    expect(first.cached).toBe(false);
    const again = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), cache }));
    expect(again.cached).toBe(true);
    const outside = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir, { 'apps/production/extra.yaml': 'kind: X\n' }), cache }));
    expect(outside.cached).toBe(true);
    const inside = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir, { 'apps/base/app.properties': 'log.level=warn\n' }), cache }));
    expect(inside.cached).toBe(false);
    expect(inside.key).not.toBe(first.key);
  });
});

describe('renderKustomize: no plaintext at rest', () => {
  it('finds no canary under /dev/shm, the temp dir or the scratch root after renders, errors and timeouts', async () => {
    await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), scratchRoot: undefined }));
    await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), timeoutMs: 1, scratchRoot: undefined })).catch(() => undefined);
    const sweep = new CanarySweep(Object.values(canaries));
    for (const root of ['/dev/shm', tmpdir(), scratchRoot]) {
      // `work` held the plaintext the test itself handed to sops (removed right after).
      await sweep.dir(root, { exclude: (p) => p.startsWith(work), maxFiles: 20_000, maxFileBytes: 4 << 20 });
    }
    expect(sweep.describe()).toEqual([]);
    expect(sweep.stats.files).toBeGreaterThan(0);
  });
});
