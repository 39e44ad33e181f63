// The five things the demo shows, each verified against the real cluster, git server and
// registry (a step that prints a claim also checks it, and fails with a DemoError if it is false).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushImage } from '../test/stack/image-push.js';
import type { DaemonStatus } from '../daemon/status/index.js';
import { cli, DemoError, getJson, git, kubectl, until } from './exec.js';
import { renderedStep } from './rendered.js';
import { fingerprint, NEW_TAG, SECRET_FILE, type DemoContext } from './setup.js';
import { seconds } from './ui.js';

export interface Step {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

interface Deployment {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  metadata: { generation: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

export async function status(ctx: DemoContext): Promise<DaemonStatus> {
  const res = await fetch(`${ctx.daemon.url}/status`);
  if (!res.ok) throw new DemoError(`GET /status answered ${res.status}`);
  return (await res.json()) as DaemonStatus;
}

/** Wait until the daemon's sync has applied `commit`; a sync error is reported as the cause. */
async function applied(ctx: DemoContext, commit: string, timeoutMs = 90_000): Promise<void> {
  await until(
    `the daemon to apply ${commit.slice(0, 7)}`,
    async () => {
      const sync = (await status(ctx)).syncs[0];
      if (sync?.appliedRevision?.includes(commit)) return true;
      if (sync?.lastError && sync.attemptedRevision?.includes(commit))
        throw new DemoError(`${sync.lastError.stage}: ${sync.lastError.message}`);
      return false;
    },
    timeoutMs,
  );
}

const deployment = (ctx: DemoContext, ns: string, name: string) => getJson<Deployment>(ctx.stack, ['deployment', name, '-n', ns]);
const configMapData = async (ctx: DemoContext, ns: string, name: string) =>
  (await getJson<{ data?: Record<string, string> }>(ctx.stack, ['configmap', name, '-n', ns]))?.data ?? {};

async function show(ctx: DemoContext, args: string[]): Promise<void> {
  ctx.p.command(`kubectl ${args.join(' ')}`, await kubectl(ctx.stack, args));
}

/** Edit files of the work clone (each edit must change something), commit and push; the new head. */
async function commitAndPush(ctx: DemoContext, edits: Record<string, (text: string) => string>, message: string): Promise<string> {
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(ctx.clone, file);
    const before = readFileSync(path, 'utf8');
    const after = edit(before);
    if (after === before) throw new DemoError(`editing ${file} changed nothing (did examples/fleet change?)`);
    writeFileSync(path, after);
  }
  await git(ctx.clone, ['commit', '--quiet', '-am', message]);
  await git(ctx.clone, ['push', '--quiet', 'origin', 'HEAD:main']);
  return git(ctx.clone, ['rev-parse', 'HEAD']);
}

export const applyStep: Step = {
  title: 'A commit is applied: Git → cluster',
  async run(ctx) {
    const { p } = ctx;
    p.say(`The daemon polls ${ctx.repoUrl} (every 2 s here) and applies what the commit declares, CRDs first.`);
    await applied(ctx, ctx.initialCommit);
    const sync = (await status(ctx)).syncs[0];
    p.ok(
      `commit ${ctx.initialCommit.slice(0, 7)} applied: ${sync?.objects ?? '?'} objects (GET /status: appliedRevision, lastAppliedAt ${sync?.lastAppliedAt ?? '?'})`,
    );
    await show(ctx, ['get', 'deployments,services,configmaps,secrets,greetings', '-n', 'demo-web', '-l', 'gitops-seal.io/sync=demo-fleet']);
    await show(ctx, ['get', 'deployments,configmaps', '-n', 'demo-worker', '-l', 'gitops-seal.io/sync=demo-fleet']);
    const greeting = await getJson<{ spec: { message: string } }>(ctx.stack, ['greeting', 'welcome', '-n', 'demo-web']);
    if (greeting?.spec.message !== 'Welcome to the gitops-seal demo')
      throw new DemoError('the Greeting custom resource is not in the cluster');
    p.ok('namespaces, the Greeting CRD and its custom resource, both apps and the Secret are in the cluster');

    p.say('Now a change: the worker gets CONCURRENCY 8 and a second replica, committed and pushed.');
    const head = await commitAndPush(
      ctx,
      {
        'apps/worker/configmap.yaml': (t) => t.replace('CONCURRENCY: "4"', 'CONCURRENCY: "8"'),
        'apps/worker/deployment.yaml': (t) => t.replace('replicas: 1', 'replicas: 2'),
      },
      'worker: concurrency 8, 2 replicas',
    );
    p.command('git commit -am "worker: concurrency 8, 2 replicas" && git push', `main → ${head.slice(0, 7)}`);
    const t1 = Date.now();
    await applied(ctx, head);
    await until('CONCURRENCY=8 and 2 worker replicas in the cluster', async () => {
      const [cm, dep] = await Promise.all([configMapData(ctx, 'demo-worker', 'worker-settings'), deployment(ctx, 'demo-worker', 'worker')]);
      return cm.CONCURRENCY === '8' && dep?.spec.replicas === 2;
    });
    p.command(
      'kubectl get configmap worker-settings -n demo-worker -o jsonpath={.data.CONCURRENCY}',
      (await configMapData(ctx, 'demo-worker', 'worker-settings')).CONCURRENCY,
    );
    p.ok(`commit ${head.slice(0, 7)} applied ${seconds(Date.now() - t1)} after the push`);
    p.say(`On ${ctx.daemon.url}/syncs/demo-fleet: the revision, its commit message and the history, updated without a reload.`);
  },
};

export const secretStep: Step = {
  title: 'An encrypted Secret: ciphertext in Git, decrypted only in the cluster',
  async run(ctx) {
    const { p } = ctx;
    const text = await git(ctx.clone, ['show', `HEAD:${SECRET_FILE}`]);
    const dataLines = text.split('\n').filter((l) => /^\s+(username|password):/.test(l));
    p.command(
      `git show HEAD:${SECRET_FILE}   # the data section, as committed`,
      dataLines.map((l) => (l.length > 76 ? `${l.slice(0, 76)}…` : l)).join('\n'),
    );
    if (dataLines.length !== 2 || !dataLines.every((l) => /:\s*ENC\[AES256_GCM,data:/.test(l)) || !/^sops:/m.test(text)) {
      throw new DemoError(`${SECRET_FILE} in Git is not a SOPS file with encrypted username/password`);
    }
    p.ok('every value in Git is ENC[AES256_GCM,…]; apiVersion, kind and metadata stay readable for review');
    const check = await cli(['check', '--age-key-file', ctx.ageKeyFile, '.'], ctx.clone, true);
    p.command(`gitops-seal check --age-key-file ${ctx.ageKeyFile} .`, (check.stdout + check.stderr).trim() || '(no problems)');
    if (check.code !== 0) throw new DemoError(`gitops-seal check found problems in the fleet repo (exit ${check.code})`);
    p.ok('the plaintext-Secret guard (pre-commit hook / CI) passes, and the encrypted file verifies (MAC) with the key');

    const secret = await until('Secret podinfo-credentials in demo-web', async () =>
      getJson<{ data?: Record<string, string> }>(ctx.stack, ['secret', 'podinfo-credentials', '-n', 'demo-web']),
    );
    const b64 = secret.data?.password;
    if (b64 === undefined) throw new DemoError('Secret demo-web/podinfo-credentials has no key "password"');
    const live = fingerprint(Buffer.from(b64, 'base64'));
    p.command(
      'kubectl get secret podinfo-credentials -n demo-web -o jsonpath={.data.password} | base64 -d | sha256sum',
      `${live.sha256}  (${live.length} bytes; the value itself is a generated demo value and is not printed)`,
    );
    if (live.sha256 !== ctx.secret.sha256 || live.length !== ctx.secret.length) {
      throw new DemoError('the Secret in the cluster does not hold the value that was encrypted into Git');
    }
    if (text.includes(b64) || text.includes(Buffer.from(b64, 'base64').toString('utf8'))) {
      throw new DemoError(`the committed ${SECRET_FILE} contains the plaintext`);
    }
    const username = Buffer.from(secret.data?.username ?? '', 'base64').toString('utf8');
    p.ok(
      `decrypted in memory by the daemon: password sha256 ${live.sha256.slice(0, 12)}… matches the value encrypted into Git; username "${username}"`,
    );
    p.say(`On ${ctx.daemon.url}/syncs/demo-fleet the Secret podinfo-credentials shows its key names (password, username), never a value.`);
  },
};

export const driftStep: Step = {
  title: 'Drift: a kubectl edit of a field Git owns is reverted within seconds',
  async run(ctx) {
    const { p } = ctx;
    const before = (await status(ctx)).syncs[0]?.driftCorrections ?? 0;
    const t0 = Date.now();
    p.command(
      'kubectl scale deployment podinfo -n demo-web --replicas=5',
      await kubectl(ctx.stack, ['scale', 'deployment', 'podinfo', '-n', 'demo-web', '--replicas=5']),
    );
    await until('podinfo back to 2 replicas', async () => (await deployment(ctx, 'demo-web', 'podinfo'))?.spec.replicas === 2, 30_000, 100);
    p.command('kubectl get deployment podinfo -n demo-web -o jsonpath={.spec.replicas}', '2');
    p.ok(`replicas reverted to 2 (Git's value) in ${seconds(Date.now() - t0)}`);

    const t1 = Date.now();
    const patch = JSON.stringify({ data: { PODINFO_UI_MESSAGE: 'edited by hand' } });
    p.command(
      `kubectl patch configmap podinfo-ui -n demo-web --type merge -p '${patch}'`,
      await kubectl(ctx.stack, ['patch', 'configmap', 'podinfo-ui', '-n', 'demo-web', '--type', 'merge', '-p', patch]),
    );
    await until(
      "PODINFO_UI_MESSAGE back to Git's value",
      async () => (await configMapData(ctx, 'demo-web', 'podinfo-ui')).PODINFO_UI_MESSAGE === 'Hello from Git',
      30_000,
      100,
    );
    p.command('kubectl get configmap podinfo-ui -n demo-web -o jsonpath={.data.PODINFO_UI_MESSAGE}', 'Hello from Git');
    p.ok(`ConfigMap value reverted in ${seconds(Date.now() - t1)}`);
    p.say(`On ${ctx.daemon.url}/syncs/demo-fleet the corrected objects say "drift corrected", and the live feed lists each correction.`);
    const after = await until(
      'the drift corrections in /status',
      async () => {
        const n = (await status(ctx)).syncs[0]?.driftCorrections ?? 0;
        return n >= before + 2 ? n : false;
      },
      10_000,
    );
    p.command(`curl ${ctx.daemon.url}/status   # syncs[0].driftCorrections`, String(after));
  },
};

export const imageStep: Step = {
  title: 'Image automation: a new tag → a bump commit in Git → rolled out',
  async run(ctx) {
    const { p, stack } = ctx;
    const repo = ctx.image.slice(ctx.image.indexOf('/') + 1);
    const before = await git(ctx.clone, ['rev-parse', 'HEAD']);
    const t0 = Date.now();
    await pushImage(stack.registry.basic, repo, NEW_TAG);
    p.command(`(push) ${ctx.image}:${NEW_TAG}`, 'pushed to the registry over the Distribution API');
    p.say('The daemon scans the registry (every 2 s here), picks the highest tag in ">=6.0.0 <7.0.0" and rewrites the marked line.');
    p.say(`The page's "Image policies" (${ctx.daemon.url}/) shows the current tag, the newest seen and the bump commit.`);
    const bump = await until(
      'the bump commit on main',
      async () => {
        await git(ctx.clone, ['fetch', '--quiet', 'origin', 'main']);
        const head = await git(ctx.clone, ['rev-parse', 'origin/main']);
        return head !== before ? head : false;
      },
      90_000,
      500,
    );
    await git(ctx.clone, ['merge', '--quiet', '--ff-only', 'origin/main']);
    p.command(
      'git pull && git log -1 --stat',
      await git(ctx.clone, ['log', '-1', '--stat', '--format=commit %H%nAuthor: %an <%ae>%n%n    %s%n']),
    );
    const diff = await git(ctx.clone, ['show', '--format=', '-U0', 'HEAD']);
    p.command(
      'git show --format= -U0 HEAD | grep image:',
      diff
        .split('\n')
        .filter((l) => /^[-+]\s.*image:/.test(l))
        .join('\n'),
    );
    const author = await git(ctx.clone, ['log', '-1', '--format=%an']);
    const file = readFileSync(join(ctx.clone, 'apps/podinfo/deployment.yaml'), 'utf8');
    if (author !== 'gitops-seal bot' || !file.includes(`image: ${ctx.image}:${NEW_TAG} # {"$imagepolicy": "demo-web:podinfo"}`)) {
      throw new DemoError(`the commit on main is not the expected bump to ${NEW_TAG} by gitops-seal bot (author "${author}")`);
    }
    p.ok(
      `bump commit ${bump.slice(0, 7)} by the daemon, ${seconds(Date.now() - t0)} after the push; only the marked line changed, comment kept`,
    );

    await applied(ctx, bump);
    const dep = await until(
      `podinfo on ${NEW_TAG}, rolled out`,
      async () => {
        const d = await deployment(ctx, 'demo-web', 'podinfo');
        const s = d?.status;
        const done =
          d?.spec.template.spec.containers[0]?.image === `${ctx.image}:${NEW_TAG}` &&
          s?.observedGeneration !== undefined &&
          s.observedGeneration >= d.metadata.generation &&
          s.updatedReplicas === d.spec.replicas &&
          s.replicas === d.spec.replicas &&
          s.availableReplicas === d.spec.replicas;
        return done ? d : false;
      },
      120_000,
      500,
    );
    p.command(
      'kubectl rollout status deployment/podinfo -n demo-web',
      await kubectl(stack, ['rollout', 'status', 'deployment/podinfo', '-n', 'demo-web', '--timeout=60s']),
    );
    p.command(
      'kubectl get pods -n demo-web -l app=podinfo -o wide',
      await kubectl(stack, ['get', 'pods', '-n', 'demo-web', '-l', 'app=podinfo', '-o', 'wide']),
    );
    p.ok(`${dep.spec.replicas} pods on ${NEW_TAG} on kwok nodes, ${seconds(Date.now() - t0)} from push to rollout`);
  },
};

export const STEPS: readonly Step[] = [applyStep, secretStep, driftStep, imageStep, renderedStep];
