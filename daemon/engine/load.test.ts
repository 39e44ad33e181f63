import { describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { CORE_KINDS, kindScopes } from '../../test/support/kind-scopes.js';
import { memoryRevision } from '../../test/support/memory-revision.js';
import { RevisionError } from './errors.js';
import type { FileCache } from './file-cache.js';
import { loadRevision } from './load.js';
import type { SyncSettings } from './settings.js';

const CANARY = 'canary-load-9d41be07';
const settings: SyncSettings = {
  name: 'apps',
  path: 'deploy',
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 1000,
  maxPruneRatio: 0.5,
  allowEmpty: false,
};
const mapper = kindScopes(CORE_KINDS);
const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n';
const cm = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: ${v}}\n`;

async function fixture() {
  const id = await generateAgeIdentity();
  const secret = await encryptText(
    `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: ${CANARY}\n`,
    { format: 'yaml', source: 'deploy/secret.yaml', keys: { age: [id.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
    {},
  );
  return {
    keys: { ageIdentities: [id.identity] },
    files: { 'deploy/ns.yaml': ns, 'deploy/cfg.yaml': cm('blue'), 'deploy/secret.yaml': secret, 'deploy/README.md': '#' },
  };
}

describe('loadRevision', () => {
  it('runs select → decrypt → read → parse → scope: objects in file order, decrypted, namespace rules applied, each with its file', async () => {
    const { keys, files } = await fixture();
    const out = await loadRevision({ settings: { ...settings, targetNamespace: 'app' }, revision: memoryRevision(files), keys, mapper });
    expect(out.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ConfigMap/app/cfg',
      'Namespace//app',
      'Secret/app/db',
    ]);
    expect((out.objects[2] as { stringData?: Record<string, string> }).stringData?.password).toBe(CANARY);
    expect(out.decryptedFiles).toEqual(['deploy/secret.yaml']);
    expect([...out.fileOf]).toEqual([
      ['ConfigMap/app/cfg', 'deploy/cfg.yaml'],
      ['Namespace/app', 'deploy/ns.yaml'],
      ['Secret/app/db', 'deploy/secret.yaml'],
    ]);
    expect(out.objects.map((o) => out.namespaced.get(o))).toEqual([true, false, true]);
  });

  it('reads, decrypts and parses only the files whose blob id changed; a refused revision leaves the cache as it was', async () => {
    const { keys, files } = await fixture();
    const fileCache: FileCache = new Map();
    const first = memoryRevision(files);
    await loadRevision({ settings, revision: first, keys, mapper, fileCache });
    expect(first.reads).toEqual(['deploy/cfg.yaml', 'deploy/ns.yaml', 'deploy/secret.yaml']);

    const second = memoryRevision({ ...files, 'deploy/cfg.yaml': cm('green') });
    const out = await loadRevision({ settings, revision: second, keys, mapper, fileCache });
    expect(second.reads).toEqual(['deploy/cfg.yaml']);
    expect(out.objects.map((o) => (o as { data?: { mode?: string } }).data?.mode)).toEqual(['green', undefined, undefined]);
    expect(out.decryptedFiles).toEqual(['deploy/secret.yaml']); // from the cache

    const before = new Map(fileCache);
    const broken = memoryRevision({ ...files, 'deploy/cfg.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' });
    const err = await loadRevision({ settings, revision: broken, keys, mapper, fileCache }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionError);
    expect((err as RevisionError).message).toBe(
      'sync "apps" revision 0123456789ab refused at manifests: deploy/cfg.yaml:1 (document 0): ConfigMap: metadata.name is missing',
    );
    expect(fileCache).toEqual(before);
  });

  it('refuses a file it cannot decrypt at `decrypt`, naming the file, without plaintext', async () => {
    const { files } = await fixture();
    const other = await generateAgeIdentity();
    const err = await loadRevision({ settings, revision: memoryRevision(files), keys: { ageIdentities: [other.identity] }, mapper }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RevisionError);
    expect((err as RevisionError).stage).toBe('decrypt');
    expect((err as RevisionError).problems).toHaveLength(1);
    expect((err as RevisionError).problems[0]).toMatch(/^deploy\/secret\.yaml: decryption failed: /);
    expect((err as RevisionError).message).not.toContain(CANARY);
  });
});
