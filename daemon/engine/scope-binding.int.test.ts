// Scope binding (issue 16 item 6) on the real stack: the engine's reconcile against the real
// kube-apiserver, Git repositories read by the daemon's Git source, the real sops binary for the
// cluster-key files and the real kustomize. A generated age key stands in for the cluster-held
// key (injected as the sync's clusterRecipients, as the daemon's cluster-key module will).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { makeCanary } from '../../test/reliability/canary.js';
import { renderSyncSandbox, type RenderSyncSandbox } from '../../test/support/render-sync.js';
import { findTools } from '../../test/stack/tools.js';
import { AggregateDecryptError } from '../decrypt/index.js';
import { RevisionError } from './errors.js';
import { reconcile, type SyncDeps } from './reconcile.js';
import type { SyncSettings } from './settings.js';

const run = promisify(execFile);
const stack = inject('stack');
const CANARY = makeCanary('scope-binding');
const CLAIM_REGEX = '^(data|stringData|gitops-seal.dev/scope)$';
let A: RenderSyncSandbox;
let B: RenderSyncSandbox;
let cluster: { identity: string; recipient: string };
let own: { identity: string; recipient: string };

beforeAll(async () => {
  [A, B] = await Promise.all([renderSyncSandbox(stack.kube.kubeconfig, 'scope-a'), renderSyncSandbox(stack.kube.kubeconfig, 'scope-b')]);
  [cluster, own] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
});

afterAll(async () => {
  await Promise.all([A?.cleanup(), B?.cleanup()]);
});

const secret = (name: string, claim?: string, namespace?: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}${
    claim ? `  annotations:\n    gitops-seal.dev/scope: "${claim}"\n` : ''
  }stringData:\n  password: ${CANARY}\n`;

/** The real sops, encrypting to the "cluster" key with the claim in encrypted_regex. */
async function sopsSeal(plaintext: string, path: string, format: 'yaml' | 'dotenv' = 'yaml'): Promise<string> {
  const { sops } = findTools();
  const regex = format === 'yaml' ? ['--encrypted-regex', CLAIM_REGEX] : [];
  const args = [
    'encrypt',
    '--age',
    cluster.recipient,
    ...regex,
    '--input-type',
    format,
    '--output-type',
    format,
    '--filename-override',
    path,
  ];
  const p = run(sops, args, { env: { PATH: '/usr/bin:/bin' } });
  p.child.stdin?.end(plaintext);
  return (await p).stdout;
}

function deps(sb: RenderSyncSandbox, settings: Partial<SyncSettings> & { path: string }): SyncDeps {
  // One sync (and inventory) per path: the tests' syncs do not prune each other's objects.
  const base = sb.deps({
    name: `${sb.ns}-${settings.path.replace(/\//g, '-')}`,
    prune: true,
    force: true,
    wait: false,
    timeoutMs: 30_000,
    maxPruneRatio: 1,
    allowEmpty: false,
    ...settings,
  });
  return {
    ...base,
    keys: { ageIdentities: [cluster.identity, own.identity] },
    clusterRecipients: async () => new Set([cluster.recipient]),
  };
}

const refused = (err: unknown): RevisionError => {
  expect(err).toBeInstanceOf(RevisionError);
  return err as RevisionError;
};
const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;

describe('scope binding of cluster-key files on the real apiserver', () => {
  it("tenant B's copy of tenant A's cluster-key Secret is refused — named, nothing applied, nothing pruned, B's last good state stays", async () => {
    const committed = await sopsSeal(secret('db', `${A.ns}/db`), 'tenant/db.sops.yaml');
    // The real sops encrypted the annotation under that rule:
    expect(committed).toMatch(/gitops-seal\.dev\/scope: ENC\[AES256_GCM,data:/);
    A.repo.write('tenant/db.sops.yaml', committed);
    const a = await reconcile(deps(A, { path: 'tenant', targetNamespace: A.ns }), await A.repo.commit('A'));
    expect(a.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([`${A.ns}/db`]);
    expect(Buffer.from(((await A.get('secrets', 'db'))?.data as { password: string }).password, 'base64').toString()).toBe(CANARY);

    const dB = deps(B, { path: 'tenant', targetNamespace: B.ns });
    B.repo.write('tenant/keep.yaml', cm('keep'));
    B.repo.write('tenant/old.yaml', cm('old'));
    const good = await reconcile(dB, await B.repo.commit('B baseline'));
    // The attack commit: A's file copied byte for byte, a new object, and one removed.
    B.repo.write('tenant/stolen.sops.yaml', committed);
    B.repo.write('tenant/new.yaml', cm('new'));
    B.repo.write('tenant/old.yaml', '');
    const err = refused(await reconcile(dB, await B.repo.commit('copy A'), good).catch((e: unknown) => e));
    expect(err.stage).toBe('decrypt');
    expect(err.problems).toEqual([
      `tenant/stolen.sops.yaml: Secret/${B.ns}/db: would be applied to namespace "${B.ns}" as "db", but its scope claim is "${A.ns}/db": refusing to decrypt a cluster-key secret outside its scope`,
    ]);
    expect((err.cause as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['scope']);
    expect(err.message).not.toContain(CANARY);
    expect(await B.get('secrets', 'db')).toBeUndefined();
    expect(await B.get('configmaps', 'new')).toBeUndefined();
    expect(await B.get('configmaps', 'old')).toBeDefined();
    expect(await B.get('configmaps', 'keep')).toBeDefined();
  });

  it('a missing or plaintext claim is refused with the fix; a file for a non-cluster key needs none; * applies anywhere tenancy allows', async () => {
    const dB = deps(B, { path: 'misc', targetNamespace: B.ns, allowedNamespaces: [B.ns] });
    B.repo.write('misc/noclaim.sops.yaml', await sopsSeal(secret('noclaim'), 'misc/noclaim.sops.yaml'));
    const plainClaim = await encryptText(
      secret('plainclaim', `${B.ns}/plainclaim`),
      { format: 'yaml', source: 'p', keys: { age: [cluster.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    B.repo.write('misc/plainclaim.sops.yaml', plainClaim);
    const err = refused(await reconcile(dB, await B.repo.commit('no claims')).catch((e: unknown) => e));
    expect(err.problems).toEqual([
      expect.stringMatching(
        /^misc\/noclaim\.sops\.yaml: Secret\/.*\/noclaim: is encrypted to the cluster-held key but carries no scope claim: add metadata\.annotations/,
      ),
      expect.stringMatching(
        /^misc\/plainclaim\.sops\.yaml: .* was not SOPS ciphertext .*\^\(data\|stringData\|gitops-seal\.dev\/scope\)\$/,
      ),
    ]);

    B.repo.write('misc/noclaim.sops.yaml', await sopsSeal(secret('noclaim', '*', 'elsewhere'), 'misc/noclaim.sops.yaml'));
    B.repo.write(
      'misc/plainclaim.sops.yaml',
      await encryptText(
        secret('mine'),
        { format: 'yaml', source: 'm', keys: { age: [own.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
        {},
      ),
    );
    const ok = await reconcile(dB, await B.repo.commit('fixed'));
    expect(ok.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([`${B.ns}/mine`, `${B.ns}/noclaim`]);
  });

  it('Kustomize: the claim is checked on the rendered object — an overlay namespace matching it applies, a namePrefix breaks a strict claim, not a namespace-wide one', async () => {
    A.repo.write('kust/base/secret.sops.yaml', await sopsSeal(secret('db', `${A.ns}/db`), 'kust/base/secret.sops.yaml'));
    A.repo.write('kust/base/kustomization.yaml', 'resources:\n  - secret.sops.yaml\n');
    A.repo.write('kust/widebase/wide.sops.yaml', await sopsSeal(secret('wide', A.ns), 'kust/widebase/wide.sops.yaml'));
    A.repo.write('kust/widebase/kustomization.yaml', 'resources:\n  - wide.sops.yaml\n');
    A.repo.write('kust/prod/kustomization.yaml', `namespace: ${A.ns}\nresources:\n  - ../base\n  - ../widebase\n`);
    A.repo.write('kust/renamed/kustomization.yaml', `namespace: ${A.ns}\nnamePrefix: x-\nresources:\n  - ../base\n`);
    A.repo.write('kust/wide/kustomization.yaml', `namespace: ${A.ns}\nnamePrefix: y-\nresources:\n  - ../widebase\n`);
    const rev = await A.repo.commit('kustomize');
    const prod = await reconcile(deps(A, { path: 'kust/prod' }), rev);
    expect(prod.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([`${A.ns}/db`, `${A.ns}/wide`]);

    const err = refused(await reconcile(deps(A, { path: 'kust/renamed' }), rev).catch((e: unknown) => e));
    expect(err.problems).toEqual([
      `kust/base/secret.sops.yaml: Secret/${A.ns}/x-db: would be applied to namespace "${A.ns}" as "x-db", but its scope claim is "${A.ns}/db": refusing to decrypt a cluster-key secret outside its scope`,
    ]);
    expect(await A.get('secrets', 'x-db')).toBeUndefined();
    const wide = await reconcile(deps(A, { path: 'kust/wide' }), rev);
    expect(wide.objects.map((o) => o.metadata.name)).toEqual(['y-wide']);
    expect(await A.get('secrets', 'y-wide')).toBeDefined();
  });

  it("Kustomize: an overlay cannot put one file's cluster-key values under another file's claim", async () => {
    // B's own cluster-key Secret (claim: B's namespace) and A's copied file; a patch moves A's
    // ciphertext into B's Secret. Each value was authenticated at its committed path, so the
    // decryption alone would accept it: the claim must come from the values' own document.
    const mine = await sopsSeal(secret('graft', B.ns), 'graft/mine.sops.yaml');
    const theirs = await sopsSeal(secret('db', `${A.ns}/db`), 'graft/theirs.sops.yaml');
    const pw = /password: (ENC\[[^\]]+\])/.exec(theirs)?.[1] ?? '';
    B.repo.write('graft/mine.sops.yaml', mine);
    B.repo.write('graft/patch.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: graft\nstringData:\n  password: ${pw}\n`);
    B.repo.write(
      'graft/kustomization.yaml',
      `namespace: ${B.ns}\nresources:\n  - mine.sops.yaml\n  - theirs.sops.yaml\npatches:\n  - path: patch.yaml\n`,
    );
    B.repo.write('graft/theirs.sops.yaml', theirs);
    const err = refused(await reconcile(deps(B, { path: 'graft' }), await B.repo.commit('graft')).catch((e: unknown) => e));
    expect(err.problems.join('\n')).toContain(
      `Secret/${B.ns}/graft: carries values of graft/theirs.sops.yaml (document 0) under the scope claim of graft/mine.sops.yaml`,
    );
    expect(err.message).not.toContain(CANARY);
    expect(await B.get('secrets', 'graft')).toBeUndefined();
  });

  it('Kustomize: a cluster-key secretGenerator source is refused (the generated Secret carries no claim)', async () => {
    A.repo.write('gen/secret.env', await sopsSeal(`PASSWORD=${CANARY}\n`, 'gen/secret.env', 'dotenv'));
    A.repo.write('gen/kustomization.yaml', `namespace: ${A.ns}\nsecretGenerator:\n  - name: gen\n    envs:\n      - secret.env\n`);
    const err = refused(await reconcile(deps(A, { path: 'gen' }), await A.repo.commit('generator')).catch((e: unknown) => e));
    expect(err.problems).toEqual([
      expect.stringMatching(/^gen\/secret\.env: is encrypted to the cluster-held key but feeds a kustomize secretGenerator/),
    ]);
    expect(err.message).not.toContain(CANARY);
  });

  it('Helm: a values file encrypted to the cluster-held key is refused (its values can land in any object of the chart)', async () => {
    A.repo.copy(new URL('./testdata/helm/charts', import.meta.url).pathname, 'charts');
    A.repo.copy(new URL('./testdata/helm/clusters', import.meta.url).pathname, 'clusters');
    const values = 'clusters/staging/secrets.sops.yaml';
    A.repo.write(
      values,
      await encryptText(`db:\n  password: ${CANARY}\n`, { format: 'yaml', source: values, keys: { age: [cluster.recipient] } }, {}),
    );
    const helm = {
      chart: { git: { path: 'charts/hello' } },
      release: { name: 'hello', namespace: A.ns },
      valuesFiles: ['clusters/staging/values.yaml', values],
      includeCrds: true,
    };
    const err = refused(await reconcile(deps(A, { path: '', helm }), await A.repo.commit('helm')).catch((e: unknown) => e));
    expect(err.problems).toEqual([
      expect.stringMatching(/^clusters\/staging\/secrets\.sops\.yaml: is encrypted to the cluster-held key but is a Helm values file/),
    ]);
    expect(err.message).not.toContain(CANARY);
    expect(await A.get('secrets', 'hello-db')).toBeUndefined();
  });
});
