// The receiving server refuses what the documented APIs refuse, so a test that passes against it
// means the request had the documented shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifyReceiver } from './notify-receiver.js';

const SHA = 'c'.repeat(40);

describe('NotifyReceiver', () => {
  let rx: NotifyReceiver;
  beforeAll(async () => {
    rx = await NotifyReceiver.start({ tokens: { github: 'gh', gitlab: 'gl', gitea: 'gt' }, hookSecret: 'k' });
  });
  afterAll(() => rx.close());

  const post = async (path: string, headers: Record<string, string>, body: unknown) => {
    const res = await fetch(`${rx.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return [res.status, rx.received.at(-1)?.problems ?? []] as const;
  };

  it.each([
    [
      'GitHub with Gitea-style auth',
      `/github/repos/o/r/statuses/${SHA}`,
      { authorization: 'token gh' },
      { state: 'success', context: 'c' },
      401,
    ],
    [
      'GitHub with a GitLab state',
      `/github/repos/o/r/statuses/${SHA}`,
      { authorization: 'Bearer gh' },
      { state: 'failed', context: 'c' },
      422,
    ],
    [
      'GitHub description over 140',
      `/github/repos/o/r/statuses/${SHA}`,
      { authorization: 'Bearer gh' },
      { state: 'success', context: 'c', description: 'd'.repeat(141) },
      400,
    ],
    [
      'GitLab with an Authorization header only',
      `/gitlab/api/v4/projects/1/statuses/${SHA}`,
      { authorization: 'Bearer gl' },
      { state: 'success' },
      401,
    ],
    ['GitLab with an unencoded path', `/gitlab/api/v4/projects/g/p/statuses/${SHA}`, { 'private-token': 'gl' }, { state: 'success' }, 404],
    [
      'Gitea with a GitHub-style token',
      `/gitea/api/v1/repos/o/r/statuses/${SHA}`,
      { authorization: 'Bearer gt' },
      { state: 'success' },
      401,
    ],
    ['Gitea with a short sha', `/gitea/api/v1/repos/o/r/statuses/abc`, { authorization: 'token gt' }, { state: 'success' }, 422],
    ['Discord over 2000', '/discord/x', {}, { content: 'x'.repeat(2001) }, 400],
    ['Slack without text', '/slack/x', {}, { blocks: [] }, 400],
    ['a webhook without signature', '/hook/x', {}, { a: 1 }, 401],
  ])('refuses %s', async (_name, path, headers, body, status) => {
    const [code, problems] = await post(path, headers, body);
    expect(code).toBe(status);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('accepts the documented shapes', async () => {
    expect((await post(`/github/repos/o/r/statuses/${SHA}`, { authorization: 'Bearer gh' }, { state: 'pending', context: 'c' }))[0]).toBe(
      201,
    );
    expect(
      (await post(`/gitlab/api/v4/projects/g%2Fp/statuses/${SHA}`, { 'private-token': 'gl' }, { state: 'running', name: 'c' }))[0],
    ).toBe(201);
    expect((await post(`/gitea/api/v1/repos/o/r/statuses/${SHA}`, { authorization: 'token gt' }, { state: 'warning' }))[0]).toBe(201);
  });
});
