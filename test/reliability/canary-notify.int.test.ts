// No secret value in any notification or commit status (issue 19). A daemon (in-process, debug
// logs) applies a SOPS Secret holding canaries, is refused a tampered and a wrong-key revision, a
// revision whose sealed value decrypts to a number (the apiserver refuses it), corrects drift of
// the Secret and applies a changed value — with every provider type (generic webhook, Slack,
// Teams, Discord) and every commit-status API (GitHub, GitLab, Gitea) pointed at a receiving
// server. The real services cannot run here: the receiver (test/support/notify-receiver.ts)
// checks each request against its API's documented shape. Every request it received (body and
// headers), /status and the logs are swept for the canaries (raw, hex, base64 std/url at 3
// alignments); positive control: the Secret in the cluster holds the current canary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { NotifyReceiver } from '../support/notify-receiver.js';
import { sampleValue } from '../support/exposition.js';
import { CanarySweep, makeCanary } from './canary.js';

const stack = inject('stack');

describe('notifications and commit statuses carry no secret value (receiving server, sweep)', () => {
  const sfx = Date.now().toString(36);
  const NS = `rel-notify-${sfx}`;
  const SYNC = `rel-notify-${sfx}`;
  const C = {
    first: makeCanary('notify-first'),
    second: makeCanary('notify-second'),
    numeric: String(10n ** 14n + (BigInt(`0x${randomBytes(8).toString('hex')}`) % (9n * 10n ** 14n))),
  };
  const TOKENS = {
    github: `ghp_${randomBytes(12).toString('hex')}`,
    gitlab: `glpat-${randomBytes(10).toString('hex')}`,
    gitea: randomBytes(20).toString('hex'),
  };
  const HOOK_SECRET = randomBytes(16).toString('hex');
  let repo: WorkRepo;
  let d: RunningDaemon;
  let rx: NotifyReceiver;
  let work: string;
  let recipient: string;
  const commits: Record<string, string> = {};

  const secretYaml = (body: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${NS}\ntype: Opaque\n${body}`;
  const seal = (text: string, to: string, path = 'apps/secret.yaml') =>
    encryptText(text, { format: 'yaml', source: path, keys: { age: [to] }, rule: { encryptedRegex: '^(data|stringData)$' } }, {});
  const status = () => d.daemon.status.snapshot().syncs.find((s) => s.name === SYNC);
  const trigger = () => d.daemon.sources.get('repo')?.trigger();

  beforeAll(async () => {
    setGitEnv(stack);
    rx = await NotifyReceiver.start({ tokens: TOKENS, hookSecret: HOOK_SECRET });
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-notify-'));
    const id = await generateAgeIdentity();
    recipient = id.recipient;
    const idFile = join(work, 'keys.txt');
    writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
    Object.assign(process.env, {
      REL_NOTIFY_GH: TOKENS.github,
      REL_NOTIFY_GL: TOKENS.gitlab,
      REL_NOTIFY_GT: TOKENS.gitea,
      REL_NOTIFY_HOOK: HOOK_SECRET,
      REL_NOTIFY_SLACK_URL: `${rx.url}/slack/T0/B0/${randomBytes(8).toString('hex')}`,
    });
    repo = await WorkRepo.create(stack, `rel-notify-${sfx}`);
    commits.first = await repo.commit({
      'apps/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
      'apps/secret.yaml': await seal(secretYaml(`stringData:\n  password: ${C.first}\n`), recipient),
    });
    const delivery = { timeout: '5s', maxAttempts: 2 };
    const provider = (type: string, path: string) => ({ name: `${type}-p`, type, url: `${rx.url}/${path}`, ...delivery });
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [
          {
            name: SYNC,
            source: 'repo',
            path: 'apps',
            interval: '2s',
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: { age: { identitiesFrom: [{ file: idFile }] } },
          },
        ],
        notifications: {
          providers: [
            { ...provider('webhook', 'hook/x'), secretFrom: { env: 'REL_NOTIFY_HOOK' } },
            { name: 'slack-p', type: 'slack', urlFrom: { env: 'REL_NOTIFY_SLACK_URL' }, ...delivery },
            provider('teams', 'teams/x'),
            provider('discord', 'discord/x'),
          ],
          alerts: [
            {
              name: 'everything',
              providers: ['webhook-p', 'slack-p', 'teams-p', 'discord-p'],
              events: ['applied', 'refused', 'drift'],
              dedupWindow: '0s',
            },
          ],
        },
        commitStatus: [
          {
            name: 'gh',
            provider: 'github',
            apiUrl: `${rx.url}/github`,
            repository: 'acme/fleet',
            tokenFrom: { env: 'REL_NOTIFY_GH' },
            source: 'repo',
          },
          {
            name: 'gl',
            provider: 'gitlab',
            apiUrl: `${rx.url}/gitlab/api/v4`,
            repository: 'acme/fleet',
            tokenFrom: { env: 'REL_NOTIFY_GL' },
            source: 'repo',
          },
          {
            name: 'ge',
            provider: 'gitea',
            apiUrl: `${rx.url}/gitea/api/v1`,
            repository: 'acme/fleet',
            tokenFrom: { env: 'REL_NOTIFY_GT' },
            source: 'repo',
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    await rx?.close();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
    repo?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const hookEvents = () => rx.of('hook').map((r) => r.json as { event: string; revision?: string });

  it('notifies applied, refused (tampered, wrong key, a value the apiserver refuses), drift and applied again; statuses on each commit', async () => {
    await eventually('first revision applied', async () => status()?.appliedRevision === commits.first);
    const original = (await repo.git(['show', 'HEAD:apps/secret.yaml'])) + '\n';
    const data = /password: ENC\[AES256_GCM,data:([^,]+),/.exec(original)?.[1] ?? '';
    const tampered = original.replace(data, (data[0] === 'A' ? 'B' : 'A') + data.slice(1));
    commits.tampered = await repo.commit({ 'apps/secret.yaml': tampered }, 'tampered');
    await trigger();
    await eventually('tampered refused', async () => status()?.lastError?.revision === commits.tampered);
    const other = await generateAgeIdentity();
    commits.wrongKey = await repo.commit(
      { 'apps/secret.yaml': await seal(secretYaml(`stringData:\n  password: ${C.first}\n`), other.recipient) },
      'wrong key',
    );
    await trigger();
    await eventually('wrong key refused', async () => status()?.lastError?.revision === commits.wrongKey);
    commits.numeric = await repo.commit(
      { 'apps/secret.yaml': await seal(secretYaml(`stringData:\n  pin: ${C.numeric}\n`), recipient) },
      'numeric',
    );
    await trigger();
    await eventually('numeric refused', async () => status()?.lastError?.revision === commits.numeric);
    commits.second = await repo.commit(
      { 'apps/secret.yaml': await seal(secretYaml(`stringData:\n  password: ${C.second}\n`), recipient) },
      'second',
    );
    await trigger();
    await eventually('second applied', async () => status()?.appliedRevision === commits.second);
    await kubectl(stack, ['patch', 'secret', 'db', '-n', NS, '--type', 'merge', '-p', '{"stringData":{"password":"edited"}}']);
    await eventually('drift notified', async () => hookEvents().some((e) => e.event === 'drift'), 30_000);
    await eventually('every message delivered', async () =>
      d.daemon.status.snapshot().notifications?.every((c) => c.queued === 0 && c.failed === 0),
    );

    expect(rx.received.flatMap((r) => r.problems)).toEqual([]);
    const events = hookEvents();
    for (const [rev, event] of [
      [commits.first, 'applied'],
      [commits.tampered, 'decrypt-failed'],
      [commits.wrongKey, 'decrypt-failed'],
      [commits.numeric, 'refused'],
      [commits.second, 'applied'],
    ] as const)
      expect(
        events.some((e) => e.revision === rev && e.event === event),
        `${event} ${rev}`,
      ).toBe(true);
    for (const kind of ['slack', 'teams', 'discord'] as const) expect(rx.of(kind).length).toBe(rx.of('hook').length);
    const states = (kind: 'github' | 'gitlab' | 'gitea', sha: string) =>
      rx
        .of(kind)
        .filter((r) => r.path.endsWith(sha))
        .map((r) => (r.json as { state: string }).state);
    // The result on each commit (a pending still waiting when the result came is replaced unsent).
    const final = (kind: 'github' | 'gitlab' | 'gitea', sha: string) => states(kind, sha).at(-1);
    expect(final('github', commits.first!)).toBe('success');
    expect(final('github', commits.tampered!)).toBe('failure');
    expect(final('gitlab', commits.numeric!)).toBe('failed');
    expect(final('gitea', commits.second!)).toBe('success');
    expect(states('gitlab', commits.wrongKey!).filter((s) => s !== 'running')).toEqual(['failed']);
  });

  it('no canary in any request (bodies and headers), /status or the logs; the Secret in the cluster is the positive control', async () => {
    const sweep = new CanarySweep([C.first, C.second, C.numeric]);
    for (const [i, r] of rx.received.entries()) sweep.text(`request ${i} ${r.kind} ${r.path}`, `${JSON.stringify(r.headers)}\n${r.body}`);
    sweep.text('/status', JSON.stringify(d.daemon.status.snapshot()));
    sweep.text('logs', d.logs.text);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    sweep.text('/metrics', metrics);
    // Deliveries are counted per provider, labelled by name, kind and type only.
    expect(sampleValue(metrics, 'gitops_seal_notify_deliveries_total', { provider: 'gh', kind: 'commit-status', type: 'github' })).toBe(
      rx.of('github').length,
    );
    expect(sampleValue(metrics, 'gitops_seal_notify_deliveries_total', { provider: 'slack-p', kind: 'notification', type: 'slack' })).toBe(
      rx.of('slack').length,
    );
    expect(sweep.describe()).toEqual([]);
    expect(rx.received.length).toBeGreaterThan(30);
    const control = new CanarySweep([C.second]);
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', NS]);
    expect(control.text('secret', JSON.stringify(secret)).length).toBeGreaterThan(0);
    // Nor a token or the HMAC key in a payload (the auth header is the only place a token goes).
    for (const r of rx.received) for (const t of [...Object.values(TOKENS), HOOK_SECRET]) expect(r.body).not.toContain(t);
  });
});
