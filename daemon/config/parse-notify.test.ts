import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const head = 'apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\n';
const config = (extra: string) => `${head}spec:
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main}
    - name: other
      url: http://git.local/other.git
      ref: {branch: main}
  syncs:
    - name: apps
      source: repo
    - name: infra
      source: other
${extra}`;

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(({ path, message }) => ({ path, message }));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('spec.notifications', () => {
  it('is absent unless written; written, delivery, drift and dedup defaults are filled in', () => {
    expect(parseConfig(config(''), 'c.yaml').spec.notifications).toBeUndefined();
    const c = parseConfig(
      config(`  notifications:
    providers:
      - {name: chat, type: slack, urlFrom: {env: SLACK_URL}}
      - {name: hook, type: webhook, url: "https://hooks.example.com/x", secretFrom: {file: /etc/hmac}, timeout: 3s, rateLimit: {burst: 2, per: 10s}}
    alerts:
      - {name: a, providers: [chat, hook], events: [refused, drift], syncs: [apps], drift: {moreThan: 3}}`),
      'c.yaml',
    );
    expect(c.spec.notifications).toEqual({
      providers: [
        {
          name: 'chat',
          type: 'slack',
          url: { ref: { env: 'SLACK_URL' } },
          delivery: { timeoutMs: 10_000, maxAttempts: 5, queueSize: 100, rateLimit: { burst: 20, perMs: 60_000 } },
        },
        {
          name: 'hook',
          type: 'webhook',
          url: { plain: 'https://hooks.example.com/x' },
          secretFrom: { file: '/etc/hmac' },
          delivery: { timeoutMs: 3000, maxAttempts: 5, queueSize: 100, rateLimit: { burst: 2, perMs: 10_000 } },
        },
      ],
      alerts: [
        {
          name: 'a',
          providers: ['chat', 'hook'],
          events: ['refused', 'drift'],
          syncs: ['apps'],
          drift: { moreThan: 3, windowMs: 3_600_000 },
          dedupWindowMs: 600_000,
        },
      ],
    });
  });

  it('names every problem: unknown provider, event and sync, inline secrets, a signature on a chat provider, url and urlFrom', () => {
    const issues = issuesOf(
      config(`  notifications:
    providers:
      - {name: chat, type: slack, url: "https://hooks.slack.com/x", urlFrom: {env: X}, secretFrom: {env: K}}
      - {name: chat, type: pager, token: abc, url: "https://user:pw@example.com/"}
    alerts:
      - {name: a, providers: [chatt], events: [refuse], syncs: [nope], dedupWindow: 0}`),
    );
    const text = issues.map((i) => `${i.path}: ${i.message}`);
    expect(text).toEqual(
      expect.arrayContaining([
        'spec.notifications.providers[0]: sets url and urlFrom; exactly one of url, urlFrom is allowed',
        'spec.notifications.providers[0].secretFrom: only a webhook provider signs its messages (this one is slack)',
        'spec.notifications.providers[1].type: must be one of webhook, slack, teams, discord',
        'spec.notifications.providers[1].token: inline secrets are not allowed: put the webhook URL in urlFrom: {env: NAME} or {file: PATH}',
        'spec.notifications.providers[1].url: must not contain credentials; give the whole URL by reference in urlFrom',
        'spec.notifications.providers[1].name: duplicate name "chat" (also spec.notifications.providers[0])',
        'spec.notifications.alerts[0].providers[0]: no provider named "chatt" (providers: chat)',
        expect.stringMatching(/^spec\.notifications\.alerts\[0\]\.events\[0\]: no event named "refuse"/),
        'spec.notifications.alerts[0].syncs[0]: no sync named "nope" (syncs: apps, infra)',
      ]),
    );
    // The password of a URL with credentials is never echoed.
    expect(text.join('\n')).not.toContain('pw');
  });
});

describe('spec.commitStatus', () => {
  it('defaults the API root of GitHub and GitLab and keeps the syncs of its source', () => {
    const c = parseConfig(
      config(`  commitStatus:
    - {name: gh, provider: github, repository: acme/fleet, tokenFrom: {env: GH}, source: repo}
    - {name: gl, provider: gitlab, repository: group/sub/project, tokenFrom: {file: /t}, source: repo, syncs: [apps], targetUrl: "https://x.example/status"}`),
      'c.yaml',
    );
    expect(c.spec.commitStatus?.[0]?.delivery.rateLimit).toEqual({ burst: 60, perMs: 60_000 });
    expect(c.spec.commitStatus?.map((t) => [t.name, t.apiUrl, t.repository, t.syncs])).toEqual([
      ['gh', 'https://api.github.com', 'acme/fleet', undefined],
      ['gl', 'https://gitlab.com/api/v4', 'group/sub/project', ['apps']],
    ]);
  });

  it('requires gitea an API root, owner/repo outside GitLab, a known source and its own syncs', () => {
    const text = issuesOf(
      config(`  commitStatus:
    - {name: ge, provider: gitea, repository: fleet, tokenFrom: {env: T}, source: repo, syncs: [infra]}
    - {name: gh, provider: github, repository: a/b, token: x, tokenFrom: {env: T}, source: nope}`),
    ).map((i) => `${i.path}: ${i.message}`);
    expect(text).toEqual(
      expect.arrayContaining([
        'spec.commitStatus[0].apiUrl: is required for gitea (e.g. https://gitea.example.com/api/v1)',
        'spec.commitStatus[0].repository: must be owner/repo',
        'spec.commitStatus[0].syncs[0]: no sync of source "repo" named "infra" (sync of source "repo"s: apps)',
        'spec.commitStatus[1].token: inline secrets are not allowed: use tokenFrom: {env: NAME} or {file: PATH}',
        'spec.commitStatus[1].source: no source named "nope" (sources: repo, other)',
      ]),
    );
  });
});
