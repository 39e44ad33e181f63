// `gitops-seal build` / `diff` on a kustomize sync and a Helm sync (chart from the stack's OCI
// registry, credentials by env reference), run in-process with an environment of their own —
// as every other lookup of the CLI does, the renderer paths (GITOPS_SEAL_KUSTOMIZE /
// GITOPS_SEAL_HELM) and the chart's credential references must come from the CLI's env, not
// from the test process's. The output holds the objects `kustomize build` / `helm template`
// make, with every Secret value redacted.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { findRenderers, findTools } from '../stack/tools.js';
import { runCaptured } from '../support/cli-capture.js';
import { ChartWorkshop } from '../support/chart-repo.js';
import { fluxRepo, HELM_SECRET_VALUES, HELM_VALUES, type FluxRepo } from '../support/flux-repo.js';
import { helmReference, kustomizeReference } from '../support/render-reference.js';
import { canaryForms, makeCanary } from '../reliability/canary.js';
import { WorkRepo } from './harness.js';
import { renderConfig } from '../support/render-daemon.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const NS = `rcli-${sfx}`;
const canaries = {
  db: makeCanary('rcli'),
  api: makeCanary('rcli'),
  tls: makeCanary('rcli'),
  prodApi: makeCanary('rcli'),
  helm: makeCanary('rcli'),
};

let repo: WorkRepo;
let fx: FluxRepo;
let shop: ChartWorkshop;
let work: string;
let configFile: string;
let env: NodeJS.ProcessEnv;
let tgz: string;

beforeAll(async () => {
  const bins = findRenderers();
  expect(process.env.GITOPS_SEAL_KUSTOMIZE ?? process.env.GITOPS_SEAL_HELM).toBeUndefined();
  const id = await generateAgeIdentity();
  fx = await fluxRepo({ sops: findTools().sops, recipient: id.recipient, namespaces: { staging: NS, production: `${NS}-p` }, canaries });
  repo = await WorkRepo.create(stack, `render-cli-${sfx}`);
  await repo.commit(fx.files, 'flux-style repo');
  shop = new ChartWorkshop(bins.helm);
  await shop.pushOci(stack.registry.basic, `rcli-${sfx}`, '1.0.0');
  tgz = await shop.package('1.0.0', join(shop.dir, 'ref'));
  work = mkdtempSync(join(tmpdir(), 'gitops-seal-render-cli-'));
  chmodSync(work, 0o700);
  writeFileSync(join(work, 'age.key'), `${id.identity}\n`, { mode: 0o600 });
  const common = {
    source: 'repo',
    kubeconfig: { file: stack.kube.kubeconfig },
    decryption: { age: { identitiesFrom: [{ file: join(work, 'age.key') }] } },
  };
  configFile = join(work, 'daemon.yaml');
  writeFileSync(
    configFile,
    stringify(
      renderConfig(repo.url, [
        { name: 'k', path: 'clusters/staging', ...common },
        {
          name: 'h',
          targetNamespace: NS,
          helm: {
            chart: {
              oci: {
                url: `oci://${stack.registry.basic.host}/rcli-${sfx}/webapp`,
                version: '^1.0.0',
                credentials: { usernameFrom: { env: 'RCLI_REG_USER' }, passwordFrom: { env: 'RCLI_REG_PASSWORD' } },
                insecure: true,
              },
            },
            release: { name: 'webapp', namespace: NS },
            valuesFiles: [HELM_VALUES, HELM_SECRET_VALUES],
          },
          ...common,
        },
      ]),
    ),
  );
  // Only here: not in the test process's environment.
  env = {
    PATH: process.env.PATH,
    HOME: work,
    GITOPS_SEAL_KUSTOMIZE: bins.kustomize,
    GITOPS_SEAL_HELM: bins.helm,
    RENDER_GIT_USER: stack.git.username,
    RENDER_GIT_PASSWORD: stack.git.password,
    RENDER_HOOK_SECRET: 'unused-by-the-cli',
    RCLI_REG_USER: stack.registry.basic.username,
    RCLI_REG_PASSWORD: stack.registry.basic.password,
  };
}, 120_000);

afterAll(async () => {
  await shop?.close();
  repo?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

const objectsOf = (yaml: string): { kind: string; metadata: { name: string } }[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
    .filter((o): o is { kind: string; metadata: { name: string } } => o !== null);
const names = (objs: { kind: string; metadata: { name?: string } }[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('gitops-seal build/diff render with the CLI environment', () => {
  it('kustomize sync: the objects kustomize build makes, Secret values redacted', async () => {
    const r = await runCaptured(['build', '-c', configFile, '-s', 'k'], { env, cwd: work });
    expect(r.code, r.err).toBe(0);
    expect(names(objectsOf(r.out))).toEqual(
      names(await kustomizeReference(findRenderers().kustomize, fx.files, fx.plain, 'clusters/staging')),
    );
    for (const f of [canaries.db, canaries.api, canaries.tls].flatMap(canaryForms))
      expect(r.out + r.err).not.toContain(f.needle.toString());
  });

  it('helm sync from OCI with credentials by env reference: the objects helm template makes, redacted', async () => {
    const r = await runCaptured(['build', '-c', configFile, '-s', 'h'], { env, cwd: work });
    expect(r.code, r.err).toBe(0);
    const ref = await helmReference(findRenderers().helm, fx.files, fx.plain, {
      chart: tgz,
      release: 'webapp',
      namespace: NS,
      valuesFiles: [HELM_VALUES, HELM_SECRET_VALUES],
    });
    expect(names(objectsOf(r.out))).toEqual(names(ref));
    for (const f of canaryForms(canaries.helm)) expect(r.out + r.err).not.toContain(f.needle.toString());
    const d = await runCaptured(['diff', '-c', configFile, '-s', 'h'], { env, cwd: work });
    expect(d.err).toMatch(/4 to create/);
  });
});
