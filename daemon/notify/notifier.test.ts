// The notifier on the event bus, delivering to a receiving HTTP server that checks each API's
// documented request shape (test/support/notify-receiver.ts: the real GitHub, GitLab, Gitea,
// Slack, Teams and Discord cannot run here, so the server checks method, path, auth header
// style, body fields and allowed state values, and answers like the API).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { NotifyReceiver } from '../../test/support/notify-receiver.js';
import { TextCapture } from '../../test/support/text-capture.js';
import { EventBus, type EventOf } from '../events/index.js';
import { createLogger } from '../log.js';
import { Notifier } from './notifier.js';
import type {
  AlertEvent,
  CommitStatusProvider,
  CommitStatusSpec,
  DeliverySpec,
  NotificationProviderSpec,
  NotificationType,
} from './types.js';

const delivery: DeliverySpec = { timeoutMs: 5000, maxAttempts: 3, queueSize: 100, rateLimit: { burst: 1000, perMs: 1000 } };
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const at = '2026-12-06T05:00:00.000Z';
const TOKENS = { github: 'ghp_statusTokenValue1234', gitlab: 'glpat-statusTokenValue12', gitea: 'gitea0123456789abcdef' };
const HOOK_SECRET = 'hmac-key-for-the-hook';

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const started = (sync: string, revision: string): EventOf<'sync.started'> => ({ type: 'sync.started', sync, revision, at });
const applied = (sync: string, revision: string): EventOf<'sync.applied'> => ({
  type: 'sync.applied',
  sync,
  revision,
  at,
  objects: 3,
  changes: { created: 1, configured: 1, unchanged: 1, deleted: 0, skipped: 0 },
  pruned: 0,
  decryptedFiles: 1,
  warnings: [],
  durationMs: 10,
});
const refused = (sync: string, revision: string, stage: string, message: string): EventOf<'sync.refused'> => ({
  type: 'sync.refused',
  sync,
  revision,
  at,
  stage,
  message,
  decryptFailures: [],
  durationMs: 10,
});

describe('Notifier', () => {
  let rx: NotifyReceiver;
  let bus: EventBus;
  let logs: TextCapture;
  const env = { GH: TOKENS.github, GL: TOKENS.gitlab, GT: TOKENS.gitea, HOOK_KEY: HOOK_SECRET } as NodeJS.ProcessEnv;

  beforeEach(async () => {
    rx = await NotifyReceiver.start({ tokens: TOKENS, hookSecret: HOOK_SECRET });
    bus = new EventBus();
    logs = new TextCapture();
  });
  afterEach(() => rx.close());

  const target = (provider: CommitStatusProvider, apiPath: string, tokenEnv: string, repository: string): CommitStatusSpec => ({
    name: `${provider}-status`,
    provider,
    apiUrl: `${rx.url}${apiPath}`,
    repository,
    tokenFrom: { env: tokenEnv },
    source: 'repo',
    targetUrl: 'https://gitops.example.com/status',
    delivery,
  });
  const provider = (type: NotificationType, over: Partial<NotificationProviderSpec> = {}): NotificationProviderSpec => ({
    name: `${type}-chat`,
    type,
    url: { plain: `${rx.url}/${type === 'webhook' ? 'hook' : type}/T000/B000/XXXX` },
    ...(type === 'webhook' ? { secretFrom: { env: 'HOOK_KEY' } } : {}),
    delivery,
    ...over,
  });
  const notifier = (opts: {
    providers?: NotificationProviderSpec[];
    targets?: CommitStatusSpec[];
    events?: AlertEvent[];
    clock?: FakeClock;
    dedupWindowMs?: number;
  }) => {
    const n = new Notifier(
      opts.providers
        ? {
            providers: opts.providers,
            alerts: [
              {
                name: 'all',
                providers: opts.providers.map((p) => p.name),
                events: opts.events ?? ['applied', 'refused', 'drift', 'writeback-pushed', 'writeback-failed'],
                drift: { moreThan: 0, windowMs: 3_600_000 },
                dedupWindowMs: opts.dedupWindowMs ?? 600_000,
              },
            ],
          }
        : undefined,
      opts.targets ?? [],
      {
        log: createLogger({ destination: logs }),
        syncSources: new Map([
          ['apps', 'repo'],
          ['infra', 'other'],
        ]),
        env,
        random: () => 0,
        ...(opts.clock ? { clock: opts.clock } : {}),
      },
    );
    n.follow(bus);
    return n;
  };

  it('posts pending, then the result, to GitHub, GitLab and Gitea in the shape each API documents; a retried commit is not posted again, a waiting pending is replaced by its result', async () => {
    const n = notifier({
      targets: [
        target('github', '/github', 'GH', 'acme/fleet'),
        target('gitlab', '/gitlab/api/v4', 'GL', 'acme/platform/fleet'),
        target('gitea', '/gitea/api/v1', 'GT', 'acme/fleet'),
      ],
    });
    bus.publish(started('apps', A));
    bus.publish(refused('apps', A, 'decrypt', 'apps/db.sops.yaml: Secret/apps/db: MAC mismatch (tampered)\nsecond problem'));
    // The same commit retried on the next poll, failing the same way: nothing new on the commit.
    bus.publish(started('apps', A));
    bus.publish(refused('apps', A, 'decrypt', 'apps/db.sops.yaml: Secret/apps/db: MAC mismatch (tampered)'));
    bus.publish(started('apps', B));
    bus.publish(applied('apps', B));
    // Another source's sync, and a revision that is not a commit id: no status.
    bus.publish(started('infra', A));
    bus.publish(started('apps', 'not-a-sha'));
    await until(() => rx.received.length >= 9);
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.received.flatMap((r) => r.problems)).toEqual([]);
    const seen = (kind: 'github' | 'gitlab' | 'gitea') => rx.of(kind).map((r) => [r.path, (r.json as { state: string }).state]);
    expect(seen('github')).toEqual([
      [`/github/repos/acme/fleet/statuses/${A}`, 'pending'],
      [`/github/repos/acme/fleet/statuses/${A}`, 'failure'],
      // B's pending was still waiting when its result came: replaced, never sent.
      [`/github/repos/acme/fleet/statuses/${B}`, 'success'],
    ]);
    expect(seen('gitlab').map((s) => s[1])).toEqual(['running', 'failed', 'success']);
    expect(seen('gitlab')[0]?.[0]).toBe(`/gitlab/api/v4/projects/acme%2Fplatform%2Ffleet/statuses/${A}`);
    expect(seen('gitea').map((s) => s[1])).toEqual(['pending', 'failure', 'success']);
    expect(rx.of('github')[1]?.json).toEqual({
      state: 'failure',
      context: 'gitops-seal/apps',
      description: 'refused at stage decrypt: apps/db.sops.yaml: Secret/apps/db: MAC mismatch (tampered)',
      target_url: 'https://gitops.example.com/status',
    });
    expect(rx.of('gitlab')[2]?.json).toMatchObject({
      name: 'gitops-seal/apps',
      description: 'applied: 3 objects (1 created, 1 configured, 0 pruned)',
    });
    expect(rx.of('github')[0]?.headers).toMatchObject({ 'x-github-api-version': '2022-11-28', accept: 'application/vnd.github+json' });
    expect(n.channels().map((c) => [c.name, c.kind, c.type, c.delivered, c.failed, c.last?.label])).toEqual([
      ['github-status', 'commit-status', 'github', 3, 0, `success apps@${B.slice(0, 12)}`],
      ['gitlab-status', 'commit-status', 'gitlab', 3, 0, `success apps@${B.slice(0, 12)}`],
      ['gitea-status', 'commit-status', 'gitea', 3, 0, `success apps@${B.slice(0, 12)}`],
    ]);
    await n.stop();
  });

  it('posts error for an internal failure, cuts the description to 140 characters, and reports a token it cannot read by its reference', async () => {
    const n = notifier({
      targets: [target('github', '/github', 'GH', 'acme/fleet'), { ...target('gitea', '/gitea/api/v1', 'NO_SUCH_VAR', 'acme/fleet') }],
    });
    bus.publish(started('apps', A));
    bus.publish(refused('apps', A, 'internal', 'x'.repeat(500)));
    await until(() => rx.of('github').length === 2 && n.channels()[1]?.failed === 2);
    const last = rx.of('github')[1]?.json as { state: string; description: string };
    expect(last.state).toBe('error');
    expect([...last.description].length).toBe(140);
    expect(n.channels()[1]?.last).toMatchObject({
      ok: false,
      reason: 'credentials',
      attempts: 1,
      error: 'gitea-status: environment variable NO_SUCH_VAR is not set',
    });
    await n.stop();
  });

  it("sends every event to webhook, Slack, Teams and Discord in each one's documented shape, the webhook signed", async () => {
    const huge = `apps/big.yaml: ${'problem '.repeat(2000)}`;
    const n = notifier({ providers: [provider('webhook'), provider('slack'), provider('teams'), provider('discord')] });
    bus.publish(refused('apps', A, 'manifests', 'apps/x.yaml: <!channel> @everyone broke & fixed'));
    bus.publish(refused('apps', A, 'apply', huge));
    bus.publish(applied('apps', B));
    bus.publish({ type: 'drift.corrected', sync: 'apps', objects: 2, at });
    bus.publish({ type: 'image.pushed', automation: 'bump', source: 'repo', commit: B, files: ['apps/web.yaml'], at });
    bus.publish({ type: 'image.failed', automation: 'bump', source: 'repo', reason: 'auth', message: 'push to repo: HTTP 401', at });
    await until(() => rx.received.length >= 24);
    expect(rx.received.flatMap((r) => r.problems)).toEqual([]);
    for (const kind of ['hook', 'slack', 'teams', 'discord'] as const) expect(rx.of(kind).length, kind).toBe(6);
    const hook = rx.of('hook').map((r) => r.json as { event: string; count: number });
    expect(hook.map((h) => h.event)).toEqual(['refused', 'refused', 'applied', 'drift', 'writeback-pushed', 'writeback-failed']);
    expect(rx.of('hook')[0]?.json).toMatchObject({
      version: 1,
      alert: 'all',
      sync: 'apps',
      revision: A,
      stage: 'manifests',
      severity: 'error',
      count: 1,
    });
    // Slack's control sequences are escaped; Discord pings nobody and stays within 2000 characters.
    expect(rx.of('slack')[0]?.body).toContain('&lt;!channel&gt;');
    expect(rx.of('slack')[0]?.body).not.toContain('<!channel>');
    expect(rx.of('discord')[0]?.json).toMatchObject({ allowed_mentions: { parse: [] } });
    expect([...(rx.of('discord')[1]?.json as { content: string }).content].length).toBeLessThanOrEqual(2000);
    await n.stop();
  });

  it('announces an applied revision once, and again when it is applied after a refusal (a recovery)', async () => {
    const n = notifier({ providers: [provider('webhook')], events: ['applied'], dedupWindowMs: 0 });
    bus.publish(applied('apps', A));
    bus.publish(applied('apps', A)); // a no-op re-apply of the same revision
    bus.publish(refused('apps', B, 'apply', 'apps/x.yaml: refused'));
    bus.publish(applied('apps', A)); // reverted to A: recovered
    await until(() => rx.of('hook').length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.of('hook').map((r) => (r.json as { event: string; revision: string }).revision)).toEqual([A, A]);
    await n.stop();
  });

  it('turns 100 refusals of a flapping sync into one message and one summary with the count', async () => {
    const clock = new FakeClock();
    const n = notifier({ providers: [provider('webhook')], clock, dedupWindowMs: 600_000 });
    for (let i = 0; i < 100; i++) {
      bus.publish(refused('apps', i % 2 ? A : B, 'decrypt', 'apps/db.sops.yaml: no key opens the data key'));
      await clock.advance(1000);
    }
    await until(() => rx.of('hook').length === 1);
    n.tick();
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.of('hook').length).toBe(1);
    await clock.advance(600_000);
    n.tick();
    await until(() => rx.of('hook').length === 2);
    expect(rx.of('hook').map((r) => (r.json as { count: number; event: string }).count)).toEqual([1, 99]);
    expect((rx.of('hook')[1]?.json as { summary: string }).summary).toContain('could not be decrypted');
    // Another reason is another message at once.
    bus.publish(refused('apps', A, 'decrypt', 'apps/other.sops.yaml: MAC mismatch'));
    await until(() => rx.of('hook').length === 3);
    await n.stop();
  });

  it('retries a 5xx and a 429 and delivers; scrubs secret-shaped text from every payload', async () => {
    rx.failNext.slack = [503, 429];
    const n = notifier({ providers: [provider('slack'), provider('webhook')] });
    const leak = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    bus.publish(refused('apps', A, 'source', `fetch https://bot:hunter2secret@git.example.com/x.git: Bearer abcdef0123456789 ${leak}`));
    await until(() => rx.of('slack').length === 1 && rx.of('hook').length === 1);
    expect(n.channels()[0]?.last).toMatchObject({ ok: true, attempts: 3 });
    for (const r of rx.received) {
      expect(r.body).not.toContain('hunter2secret');
      expect(r.body).not.toContain('abcdef0123456789');
      expect(r.body).not.toContain(leak);
      expect(r.body).toContain('[REDACTED]');
    }
    await n.stop();
  });
});
