// The rendered examples (examples/rendered, issue 15): a Kustomize overlay whose base holds a
// SOPS-encrypted Secret, and a Helm chart with a SOPS-encrypted values file. Loaded onto branch
// `rendered` of the fleet repository (source `rendered` of examples/daemon-config.yaml, so the
// plain demo-fleet sync of `main` never reads chart templates), and the demo step that checks
// both syncs applied them with the secrets decrypted in memory only.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authedUrl } from '../test/stack/gitserver.js';
import type { StackInfo } from '../test/stack/types.js';
import { runCaptured } from '../test/support/cli-capture.js';
import type { DaemonStatus } from '../daemon/status/index.js';
import { cli, DemoError, exec, getJson, git, kubectl, ROOT, until } from './exec.js';
import { fingerprint, renderFleet, type DemoContext, type Fingerprint } from './setup.js';
import type { Step } from './steps.js';
import type { Printer } from './ui.js';

export const RENDERED_DIR = join(ROOT, 'examples', 'rendered');
export const RENDERED_BRANCH = 'rendered';
export const OVERLAY_SECRET = 'apps/base/greeter/credentials.enc.yaml';
export const VALUES_SECRET = 'clusters/demo/greeter-secrets.enc.yaml';

export interface RenderedExamples {
  commit: string;
  /** Of the generated values: the values themselves are never printed or stored. */
  token: Fingerprint;
  apiToken: Fingerprint;
}

/** `.sops.yaml` of the rendered branch: values files encrypt every value, Secrets only data/stringData. */
function sopsConfig(recipient: string): string {
  return `# Written by the demo. First matching rule wins.
creation_rules:
  - path_regex: ^clusters/.*\\.enc\\.yaml$
    age: ${recipient}
  - path_regex: \\.enc\\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: ${recipient}
`;
}

export async function loadRendered(
  stack: StackInfo,
  p: Printer,
  opts: { work: string; repoName: string; registry: string; prefix: string; recipient: string },
): Promise<RenderedExamples> {
  const clone = join(opts.work, 'rendered');
  await exec('git', ['clone', '--quiet', authedUrl(stack.git, opts.repoName), clone], { display: 'git clone (rendered branch)' });
  await git(clone, ['config', 'user.name', 'Demo User']);
  await git(clone, ['config', 'user.email', 'demo@gitops-seal.example']);
  await git(clone, ['checkout', '--quiet', '--orphan', RENDERED_BRANCH]);
  await git(clone, ['rm', '-rfq', '--ignore-unmatch', '.']);
  const files = renderFleet(clone, opts.registry, opts.prefix, RENDERED_DIR);
  writeFileSync(join(clone, '.sops.yaml'), sopsConfig(opts.recipient));
  // Demo values, generated now and never printed: the demo keeps their fingerprints.
  const token = `tok-${randomBytes(12).toString('base64url')}`;
  const apiToken = `api-${randomBytes(12).toString('base64url')}`;
  // The base's Secret says namespace default; the staging overlay moves it (metadata stays
  // readable in a SOPS file, and the MAC is verified on the file as committed).
  await cli(['create-secret', 'greeter-credentials', '-n', 'default', '--from-literal', `token=${token}`, '-o', OVERLAY_SECRET], clone);
  // The values file's plaintext goes through standard input: it never exists as a file.
  const enc = await runCaptured(['encrypt', '-', '--filename-override', VALUES_SECRET, '-o', VALUES_SECRET], {
    cwd: clone,
    env: process.env,
    stdin: async () => `apiToken: ${apiToken}\n`,
  });
  if (enc.code !== 0) throw new DemoError(`gitops-seal encrypt ${VALUES_SECRET} failed (exit ${enc.code}): ${enc.err.trim()}`);
  await git(clone, ['add', '--all']);
  await git(clone, ['commit', '--quiet', '-m', 'Rendered examples: a Kustomize overlay and a Helm chart, secrets encrypted']);
  await git(clone, ['push', '--quiet', 'origin', `HEAD:${RENDERED_BRANCH}`]);
  const commit = await git(clone, ['rev-parse', 'HEAD']);
  p.ok(
    `examples/rendered (${files.length} files) on branch ${RENDERED_BRANCH} → ${commit.slice(0, 7)}, with ${OVERLAY_SECRET} (create-secret) and ${VALUES_SECRET} (encrypt from stdin) encrypted`,
  );
  return { commit, token: fingerprint(token), apiToken: fingerprint(apiToken) };
}

interface Deployment {
  metadata: { labels?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
}

const secretValue = async (ctx: DemoContext, ns: string, name: string, key: string): Promise<Fingerprint | undefined> => {
  const s = await getJson<{ data?: Record<string, string> }>(ctx.stack, ['secret', name, '-n', ns]);
  const b64 = s?.data?.[key];
  return b64 === undefined ? undefined : fingerprint(Buffer.from(b64, 'base64'));
};
const envOf = (d: Deployment | undefined, name: string): string | undefined =>
  d?.spec.template.spec.containers[0]?.env?.find((e) => e.name === name)?.value;

export const renderedStep: Step = {
  title: 'Rendered syncs: a Kustomize overlay and a Helm chart, their secrets decrypted in memory',
  async run(ctx) {
    const { p } = ctx;
    const r = ctx.rendered;
    p.say(
      `Two more syncs read branch ${RENDERED_BRANCH}: demo-staging renders apps/staging with kustomize, demo-greeter renders charts/greeter with helm.`,
    );
    const st = await until(
      'demo-staging and demo-greeter to apply the rendered branch',
      async () => {
        const status = (await (await fetch(`${ctx.daemon.url}/status`)).json()) as DaemonStatus;
        const syncs = ['demo-staging', 'demo-greeter'].map((n) => status.syncs.find((s) => s.name === n));
        for (const s of syncs)
          if (s?.lastError && s.attemptedRevision?.includes(r.commit))
            throw new DemoError(`${s.name}: ${s.lastError.stage}: ${s.lastError.message}`);
        return syncs.every((s) => s?.appliedRevision?.includes(r.commit)) ? syncs : undefined;
      },
      90_000,
    );
    const helm = st[1]?.helm;
    if (helm?.chart !== 'greeter' || helm.version !== '0.1.0')
      throw new DemoError('/status does not show chart greeter 0.1.0 for demo-greeter');
    p.ok(`both applied ${r.commit.slice(0, 7)}; /status shows chart ${helm.chart} ${helm.version} (digest ${helm.digest.slice(0, 19)}…)`);

    const values = await git(ctx.clone, ['show', `origin/${RENDERED_BRANCH}:${VALUES_SECRET}`]).catch(async () => {
      await git(ctx.clone, ['fetch', '--quiet', 'origin', RENDERED_BRANCH]);
      return git(ctx.clone, ['show', `FETCH_HEAD:${VALUES_SECRET}`]);
    });
    const line = values.split('\n').find((l) => l.startsWith('apiToken:')) ?? '';
    if (!/^apiToken: ENC\[AES256_GCM,data:/.test(line)) throw new DemoError(`${VALUES_SECRET} in Git does not hold an encrypted apiToken`);
    p.command(`git show ${RENDERED_BRANCH}:${VALUES_SECRET}   # the values file helm gets, as committed`, `${line.slice(0, 76)}…`);

    await show(ctx, ['get', 'deployments,secrets', '-n', 'demo-staging', '-l', 'gitops-seal.io/sync=demo-staging']);
    const staging = await getJson<Deployment>(ctx.stack, ['deployment', 'staging-greeter', '-n', 'demo-staging']);
    if (
      staging?.spec.replicas !== 2 ||
      staging.metadata.labels?.env !== 'staging' ||
      envOf(staging, 'PODINFO_UI_MESSAGE') !== 'hello from staging'
    )
      throw new DemoError('deployment staging-greeter does not carry the overlay (2 replicas, label env=staging, the staging message)');
    const token = await secretValue(ctx, 'demo-staging', 'staging-greeter-credentials', 'token');
    if (token?.sha256 !== r.token.sha256) throw new DemoError('secret staging-greeter-credentials does not hold the generated token');
    p.ok(
      `overlay: namespace, name prefix, label and patch applied; the base's encrypted Secret decrypted (token sha256 ${token.sha256.slice(0, 16)}…)`,
    );

    await show(ctx, ['get', 'deployments,secrets', '-n', 'demo-charts', '-l', 'gitops-seal.io/sync=demo-greeter']);
    const chart = await getJson<Deployment>(ctx.stack, ['deployment', 'greeter', '-n', 'demo-charts']);
    if (chart?.spec.replicas !== 2 || envOf(chart, 'PODINFO_UI_MESSAGE') !== 'hello from the demo cluster')
      throw new DemoError('deployment greeter does not carry clusters/demo/greeter-values.yaml (2 replicas, its message)');
    const api = await secretValue(ctx, 'demo-charts', 'greeter-api', 'token');
    if (api?.sha256 !== r.apiToken.sha256) throw new DemoError('secret greeter-api does not hold the generated apiToken');
    p.ok(`chart: values files layered; the encrypted values file decrypted in memory (apiToken sha256 ${api.sha256.slice(0, 16)}…)`);
    p.say(`The overview ${ctx.daemon.url}/ lists demo-staging and demo-greeter beside demo-fleet; each page has its objects and history.`);
  },
};

async function show(ctx: DemoContext, args: string[]): Promise<void> {
  ctx.p.command(`kubectl ${args.join(' ')}`, await kubectl(ctx.stack, args));
}
