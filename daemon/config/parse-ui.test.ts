import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const config = (ui: string) => `apiVersion: gitops-seal.io/v1alpha1
kind: DaemonConfig
spec:
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main}
  syncs:
    - name: apps
      source: repo
${ui}`;

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(({ path, message }) => ({ path, message }));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('spec.ui', () => {
  it('is absent unless written; written, the page is on and each way to sign in is read', () => {
    expect(parseConfig(config(''), 'c.yaml').spec.ui).toBeUndefined();
    expect(parseConfig(config('  ui: {}'), 'c.yaml').spec.ui).toEqual({ enabled: true });
    expect(parseConfig(config('  ui: {enabled: false}'), 'c.yaml').spec.ui).toEqual({ enabled: false });
    const full = parseConfig(
      config(
        '  ui:\n    tokenFrom: {secret: {namespace: gitops-seal, name: ui, key: token}}\n    tokenReview: {groups: [admins], users: [alice]}',
      ),
      'c.yaml',
    ).spec.ui;
    expect(full).toEqual({
      enabled: true,
      tokenFrom: { secret: { namespace: 'gitops-seal', name: 'ui', key: 'token' } },
      tokenReview: { users: ['alice'], groups: ['admins'] },
    });
    expect(parseConfig(config('  ui: {tokenReview: {}}'), 'c.yaml').spec.ui?.tokenReview).toEqual({ users: [], groups: [] });
  });

  it('refuses an inline token, unknown fields and empty names, each with its path', () => {
    expect(issuesOf(config('  ui: {token: hunter2}'))).toEqual([
      { path: 'spec.ui.token', message: 'inline secrets are not allowed: use tokenFrom: {env: NAME}, {file: PATH} or {secret: {...}}' },
    ]);
    expect(issuesOf(config('  ui: {tokenReveiw: {}}'))[0]).toMatchObject({
      path: 'spec.ui.tokenReveiw',
      message: expect.stringContaining('tokenReview'),
    });
    expect(issuesOf(config('  ui: {tokenReview: {groups: [""]}}'))).toEqual([
      { path: 'spec.ui.tokenReview.groups[0]', message: 'must be a non-empty string' },
    ]);
    expect(issuesOf(config('  ui: {tokenFrom: {value: x}}'))[0]?.path).toBe('spec.ui.tokenFrom.value');
  });
});
