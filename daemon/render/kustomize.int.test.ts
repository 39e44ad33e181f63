// renderKustomize against the real kustomize (v5.8.1, test/stack/build/kustomize.sh) and, for
// the dotenv/binary SOPS formats, the real sops. Fixtures: daemon/render/testdata/repo, in the
// shape Flux users have (apps/base + staging + production, a component, clusters/, infrastructure/).
// Parity is object-for-object, in order: our objects equal what `kustomize build` prints for
// the same tree, decoded by the same reader.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { GitSource } from '../source/index.js';
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
  const { stdout } = await run(sops, ['encrypt', '--age', to, '--input-type', type, '--output-type', type, file], {
    env: { PATH: process.env.PATH ?? '' },
  });
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
  plainFiles = {
    'apps/secure/base/db-secret.enc.yaml': dbSecret(),
    'apps/secure/overlay/api.enc.env': env,
    'apps/secure/overlay/tls.enc.key': tls,
  };
  secureFiles = {
    'apps/secure/base/db-secret.enc.yaml': await encryptText(
      dbSecret(),
      { format: 'yaml', source: 'db-secret.enc.yaml', keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      keys,
    ),
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
    expect(r.inputs.some((p) => p.startsWith('apps/production/') || p.startsWith('apps/secure/') || p.startsWith('infrastructure/'))).toBe(
      false,
    );
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
    expect(byName.get(gen)?.file).toBe('apps/secure/overlay/api.enc.env');
    expect(byName.get(gen)?.decrypted).toBe(true);
    const tlsName = [...byName.keys()].find((n) => n?.startsWith('prod-tls-'));
    expect(byName.get(tlsName)?.file).toBe('apps/secure/overlay/tls.enc.key');
    expect(r.decryptedFiles).toEqual([
      'apps/secure/base/db-secret.enc.yaml',
      'apps/secure/overlay/api.enc.env',
      'apps/secure/overlay/tls.enc.key',
    ]);
  });

  it('serves each FIFO exactly once per open, render after render (a reopen race once doubled the content ~1 in 20)', async () => {
    // The source alone in its directory: the FIFO's directory must be made too.
    const revision = dirRevision(repoDir, {
      'apps/gen/secrets/api.enc.env': secureFiles['apps/secure/overlay/api.enc.env'] as string,
      'apps/gen/kustomization.yaml': 'secretGenerator:\n  - name: api-creds\n    envs: [secrets/api.enc.env]\n',
    });
    const names = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const r = await renderKustomize(input({ path: 'apps/gen', revision }));
      names.add(r.objects.map((o) => o.object.metadata.name).join(','));
    }
    expect(names.size).toBe(1);
  });

  it('refuses a tampered resource file, naming it; nothing rendered', async () => {
    const enc = secureFiles['apps/secure/base/db-secret.enc.yaml'] as string;
    const tampered = enc.replace(/(DB_PASSWORD: ENC\[AES256_GCM,data:)(.)/, (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(enc);
    const err = await renderKustomize(
      input({
        path: 'apps/secure/overlay',
        revision: dirRevision(repoDir, { ...secureFiles, 'apps/secure/base/db-secret.enc.yaml': tampered }),
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('decrypt');
    expect((err as Error).message).toContain('apps/secure/base/db-secret.enc.yaml');
    expect((err as Error).message).toMatch(/tampered/);
    expect(readdirSync(scratchRoot)).toEqual([]);
    const otherKey = await encryptText(
      dbSecret(),
      { format: 'yaml', source: 'x', keys: { age: [otherRecipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      keys,
    );
    const wrong = await renderKustomize(
      input({
        path: 'apps/secure/overlay',
        revision: dirRevision(repoDir, { ...secureFiles, 'apps/secure/base/db-secret.enc.yaml': otherKey }),
      }),
    ).catch((e: unknown) => e);
    expect((wrong as RenderError).stage).toBe('decrypt');
    expect((wrong as Error).message).toMatch(/apps\/secure\/base\/db-secret\.enc\.yaml: .*no key could decrypt/);
  });

  it('refuses a tampered generator source and a wrong-key file, naming each', async () => {
    const env = secureFiles['apps/secure/overlay/api.enc.env'] as string;
    const tamperedEnv = env.replace(/^(API_USER=ENC\[AES256_GCM,data:)(.)/m, (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`);
    expect(tamperedEnv).not.toBe(env);
    const wrongKey = await sopsEncrypt('tls.enc.key', 'other\n', 'binary', otherRecipient);
    const err = await renderKustomize(
      input({
        path: 'apps/secure/overlay',
        revision: dirRevision(repoDir, {
          ...secureFiles,
          'apps/secure/overlay/api.enc.env': tamperedEnv,
          'apps/secure/overlay/tls.enc.key': wrongKey,
        }),
      }),
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
    const foreign = await encryptText(
      dbSecret(),
      { format: 'yaml', source: 'x', keys: { age: [otherRecipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      keys,
    );
    const overlay = `resources:\n  - ../base\npatches:\n  - path: evil-patch.yaml\n`;
    const err = await renderKustomize(
      input({
        path: 'apps/secure/patched',
        revision: dirRevision(repoDir, {
          ...secureFiles,
          'apps/secure/base/db-secret.enc.yaml': enc,
          'apps/secure/patched/kustomization.yaml': overlay,
          'apps/secure/patched/evil-patch.yaml': foreign,
        }),
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toContain('apps/secure/patched/evil-patch.yaml');
  });
});

describe('renderKustomize: refusals and limits', () => {
  it('refuses remote bases before running kustomize, naming file, field and host', async () => {
    const err = await renderKustomize(
      input({ path: 'apps/remote', revision: dirRevision(repoDir), kustomize: '/nonexistent/kustomize' }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('graph');
    const msg = (err as Error).message;
    expect(msg).toContain(
      'apps/remote/kustomization.yaml: resources "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6" is a remote reference to github.com',
    );
    expect(msg).toContain('gitlab.example.com');
  });

  it('a kustomize error names the kustomization and carries kustomize’s message with repo paths', async () => {
    const err = await renderKustomize(
      input({
        path: 'apps/broken',
        revision: dirRevision(repoDir, {
          'apps/broken/kustomization.yaml': 'resources:\n  - bad.yaml\n',
          'apps/broken/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n',
        }),
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).stage).toBe('tool');
    const msg = (err as Error).message;
    expect(msg).toContain('apps/broken/kustomization.yaml');
    expect(msg).not.toContain(scratchRoot);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('a timeout kills kustomize and removes the scratch dir', async () => {
    const err = await renderKustomize(
      input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), timeoutMs: 1 }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toMatch(/timeout/);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('output above the limit is refused', async () => {
    const err = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), maxOutputBytes: 512 })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/output-limit/);
  });
});

describe('renderKustomize: a revision fetched from Git', () => {
  it('renders the same objects from a GitSource revision (real blob ids) and caches by them', async () => {
    const server = await sharedOrOwnGitServer();
    const cacheDir = mkdtempSync(join(work, 'git-cache-'));
    try {
      const name = `render-fixtures-${Date.now()}`;
      const local = dirRevision(repoDir, secureFiles);
      await createRepo(server.info, name, Object.fromEntries([...local.files].map(([p, b]) => [p, Buffer.from(b).toString('utf8')])));
      const source = new GitSource(
        {
          name,
          url: `${server.info.url}${name}.git`,
          ref: { branch: 'main' },
          auth: async () => ({ username: server.info.username, password: server.info.password }),
        },
        cacheDir,
      );
      const revision = await source.fetch();
      const cache = new RenderCache<KustomizeRenderResult>();
      const fromGit = await renderKustomize(input({ path: 'apps/secure/overlay', revision, cache }));
      const fromDir = await renderKustomize(input({ path: 'apps/secure/overlay', revision: local }));
      expect(fromGit.objects).toEqual(fromDir.objects);
      expect(fromGit.key).toBe(fromDir.key); // same blob ids, same key
      expect((await renderKustomize(input({ path: 'apps/secure/overlay', revision, cache }))).cached).toBe(true);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
      await server.stop();
    }
  });
});

describe('renderKustomize: no plaintext at rest', () => {
  it('while kustomize runs, no regular file in scratch holds plaintext; generator sources are FIFOs', async () => {
    // The real kustomize behind a probe that lists scratch before exec'ing it (FIFOs are listed,
    // not read: reading one would consume kustomize's copy).
    const probeOut = join(work, 'probe.txt');
    const probe = join(work, 'kustomize-probe.sh');
    const needles = Object.values(canaries).join('\\|');
    writeFileSync(
      probe,
      `#!/bin/sh\n{ echo FIFOS; find . -type p; echo HITS; find . -type f -exec grep -l '${needles}' {} +; } > ${probeOut} 2>&1\nexec ${kustomize} "$@"\n`,
      { mode: 0o755 },
    );
    const r = await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), kustomize: probe }));
    expect(r.objects.length).toBeGreaterThan(3);
    const [fifos, hits] = readFileSync(probeOut, 'utf8').split('HITS\n') as [string, string];
    expect(
      fifos
        .split('\n')
        .filter((l) => l.startsWith('./'))
        .sort(),
    ).toEqual(['./apps/secure/overlay/api.enc.env', './apps/secure/overlay/tls.enc.key']);
    expect(hits.trim()).toBe('');
  });

  it('finds no canary under /dev/shm, the temp dir or the scratch root after renders, errors and timeouts', async () => {
    await renderKustomize(input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), scratchRoot: undefined }));
    await renderKustomize(
      input({ path: 'apps/secure/overlay', revision: dirRevision(repoDir, secureFiles), timeoutMs: 1, scratchRoot: undefined }),
    ).catch(() => undefined);
    const sweep = new CanarySweep(Object.values(canaries));
    for (const root of ['/dev/shm', tmpdir(), scratchRoot]) {
      // `work` held the plaintext the test itself handed to sops (removed right after).
      await sweep.dir(root, { exclude: (p) => p.startsWith(work), maxFiles: 20_000, maxFileBytes: 4 << 20 });
    }
    expect(sweep.describe()).toEqual([]);
    expect(sweep.stats.files).toBeGreaterThan(0);
  });
});
