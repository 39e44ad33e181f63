// The bind stage through the engine's one load path (loadRevision), plain directories: what
// build, diff and the daemon see. Kustomize renders and the apiserver: ../scope-binding.int.test.ts.
import { describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../../keys/index.js';
import { CORE_KINDS, kindScopes } from '../../../test/support/kind-scopes.js';
import { memoryRevision } from '../../../test/support/memory-revision.js';
import { AggregateDecryptError } from '../../decrypt/index.js';
import { RevisionError } from '../errors.js';
import type { FileCache } from '../file-cache.js';
import { loadRevision } from '../load.js';
import type { SyncSettings } from '../settings.js';

const CANARY = 'canary-bind-77c1d3e9';
const cluster = await generateAgeIdentity();
const own = await generateAgeIdentity();
const keys = { ageIdentities: [cluster.identity, own.identity] };
const clusterRecipients = async (): Promise<ReadonlySet<string>> => new Set([cluster.recipient]);
const mapper = kindScopes(CORE_KINDS);
const sync = (name: string, path: string, targetNamespace?: string): SyncSettings => ({
  name,
  path,
  prune: true,
  force: true,
  wait: false,
  timeoutMs: 1000,
  maxPruneRatio: 1,
  allowEmpty: false,
  ...(targetNamespace ? { targetNamespace } : {}),
});

async function sealed(namespace: string, name: string, claim: string | undefined, to = cluster.recipient): Promise<string> {
  const ann = claim === undefined ? '' : `  annotations:\n    gitops-seal.dev/scope: "${claim}"\n`;
  return encryptText(
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n${ann}stringData:\n  password: ${CANARY}\n`,
    { format: 'yaml', source: 'x.yaml', keys: { age: [to] }, rule: { encryptedRegex: '^(data|stringData|gitops-seal.dev/scope)$' } },
    {},
  );
}

const refusal = (err: unknown): RevisionError => {
  expect(err).toBeInstanceOf(RevisionError);
  return err as RevisionError;
};

describe('bind stage (loadRevision, plain directories)', () => {
  it("refuses tenant A's cluster-key Secret copied into tenant B's path: named, claim and target said, reason scope", async () => {
    const a = await sealed('team-a', 'db', 'team-a/db');
    const revision = memoryRevision({ 'tenants/a/db.yaml': a, 'tenants/b/db.yaml': a });
    const mine = await loadRevision({ settings: sync('a', 'tenants/a', 'team-a'), revision, keys, mapper, clusterRecipients });
    expect(mine.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['team-a/db']);
    const err = refusal(
      await loadRevision({ settings: sync('b', 'tenants/b', 'team-b'), revision, keys, mapper, clusterRecipients }).catch(
        (e: unknown) => e,
      ),
    );
    expect(err.stage).toBe('decrypt');
    expect(err.problems).toEqual([
      'tenants/b/db.yaml: Secret/team-b/db: would be applied to namespace "team-b" as "db", but its scope claim is "team-a/db": refusing to decrypt a cluster-key secret outside its scope',
    ]);
    expect((err.cause as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['scope']);
    expect(err.message).not.toContain(CANARY);
    // Without cluster recipients (no clusterKey) the stage does nothing.
    await expect(loadRevision({ settings: sync('b', 'tenants/b', 'team-b'), revision, keys, mapper })).resolves.toBeDefined();
  });

  it('strict applies in place; namespace-wide and * where they allow; files for other keys need no claim', async () => {
    const revision = memoryRevision({
      'p/strict.yaml': await sealed('team-a', 'db', 'team-a/db'),
      'q/wide.yaml': await sealed('team-a', 'db', 'team-a'),
      'r/any.yaml': await sealed('team-a', 'db', '*'),
      's/own.yaml': await sealed('team-a', 'db', undefined, own.recipient),
    });
    const load = (path: string, ns?: string): Promise<unknown> =>
      loadRevision({ settings: sync(path, path, ns), revision, keys, mapper, clusterRecipients }).catch((e: unknown) => e);
    // (A renamed object: a plain file's name is in the MAC; the rename an overlay makes is in
    // ../scope-binding.int.test.ts, the re-split one in daemon/scope-binding/binding.test.ts.)
    expect(await load('p')).not.toBeInstanceOf(Error);
    expect(refusal(await load('p', 'team-b')).problems[0]).toContain('but its scope claim is "team-a/db"');
    expect(await load('q', 'team-a')).not.toBeInstanceOf(Error);
    expect(refusal(await load('q', 'team-b')).problems[0]).toContain('but its scope claim is "team-a"');
    expect(await load('r', 'team-z')).not.toBeInstanceOf(Error);
    expect(await load('s', 'team-z')).not.toBeInstanceOf(Error);
  });

  it('binds files reused from the file cache too (seals are kept with the cached objects)', async () => {
    const fileCache: FileCache = new Map();
    const revision = memoryRevision({ 'b/db.yaml': await sealed('team-a', 'db', undefined) });
    let recipients = new Set<string>();
    const input = { settings: sync('b', 'b'), revision, keys, mapper, fileCache, clusterRecipients: async () => recipients };
    await loadRevision(input);
    expect(revision.reads).toEqual(['b/db.yaml']);
    // The cluster key appears (created, or rotated in): the cached file is now bound.
    recipients = new Set([cluster.recipient]);
    const err = refusal(await loadRevision(input).catch((e: unknown) => e));
    expect(revision.reads).toEqual(['b/db.yaml']);
    expect(err.problems[0]).toMatch(/^b\/db\.yaml: Secret\/team-a\/db: is encrypted to the cluster-held key but carries no scope claim/);
  });

  it('refuses when the cluster recipients cannot be read (unknown is not none)', async () => {
    const revision = memoryRevision({ 'b/db.yaml': await sealed('team-a', 'db', 'team-a/db') });
    const clusterRecipients = async (): Promise<ReadonlySet<string>> => {
      throw new Error('apiserver unreachable');
    };
    const err = refusal(
      await loadRevision({ settings: sync('b', 'b'), revision, keys, mapper, clusterRecipients }).catch((e: unknown) => e),
    );
    expect(err.problems[0]).toMatch(/^cannot read the cluster-held key's recipients \(apiserver unreachable\)/);
  });
});
